#!/usr/bin/env bash
# Throughput with the Prometheus endpoint on (scraped every second) against off, same build,
# alternating runs (which goes first alternates too); prints each run and the median ratio per test. On a machine with two or more
# cores the server is pinned to core 0 and redis-benchmark to core 1 (taskset), so the two do
# not trade places on the scheduler between runs; the scraper shares the benchmark's core.
#   load-tests/metrics-overhead.sh [ROUNDS] [N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="${1:-5}"; n="${2:-3000000}"
server_cpu=(); client_cpu=()
if command -v taskset > /dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); client_cpu=(taskset -c 1)
fi
jar="$here/../target/kiln.jar"
run() { # metrics-port -> "SET rps GET rps"
  local mport=$1
  "${server_cpu[@]}" java -jar "$jar" --port 7399 --bind 127.0.0.1 --save "" --metrics-port "$mport" > /dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do redis-cli -p 7399 ping >/dev/null 2>&1 && break; sleep 0.1; done
  local scraper=""
  if [[ $mport != 0 ]]; then
    # one long-lived scraper (as Prometheus keeps its connection), not a process per scrape
    "${client_cpu[@]}" python3 -c '
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
while True:
    c.request("GET", "/metrics"); c.getresponse().read(); time.sleep(1)' "$mport" &
    scraper=$!
  fi
  "${client_cpu[@]}" redis-benchmark -p 7399 -q -c 50 -n 1000000 -P 16 -t set,get > /dev/null 2>&1  # warm-up
  "${client_cpu[@]}" redis-benchmark -p 7399 -q -c 50 -n "$n" -P 16 -t set,get 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | awk '{printf "%s ", $2}'
  [[ -n $scraper ]] && kill "$scraper"
  redis-cli -p 7399 shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
}
on=(); off=()
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then off+=("$(run 0)"); on+=("$(run 9479)")
  else on+=("$(run 9479)"); off+=("$(run 0)"); fi
  echo "round $r: off ${off[-1]} | on ${on[-1]}"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for col in 1 2; do
  name=$([[ $col == 1 ]] && echo SET || echo GET)
  m_off=$(printf '%s\n' "${off[@]}" | awk -v c=$col '{print $c}' | median)
  m_on=$(printf '%s\n' "${on[@]}" | awk -v c=$col '{print $c}' | median)
  echo "$name median: off $m_off, on $m_on, on/off $(echo "scale=3; $m_on / $m_off" | bc)"
done
