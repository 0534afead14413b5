#!/usr/bin/env bash
# Throughput with the Prometheus endpoint on (scraped every second) against off, same build,
# alternating runs; prints each run and the median ratio per test.
#   load-tests/metrics-overhead.sh [ROUNDS] [N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="${1:-3}"; n="${2:-1000000}"
jar="$here/../target/kiln.jar"
run() { # metrics-port -> "SET rps GET rps"
  local mport=$1
  java -jar "$jar" --port 7399 --bind 127.0.0.1 --save "" --metrics-port "$mport" > /dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do redis-cli -p 7399 ping >/dev/null 2>&1 && break; sleep 0.1; done
  local scraper=""
  if [[ $mport != 0 ]]; then
    (while true; do curl -s "127.0.0.1:$mport/metrics" > /dev/null; sleep 1; done) &
    scraper=$!
  fi
  redis-benchmark -p 7399 -q -c 50 -n 200000 -P 16 -t set,get > /dev/null 2>&1  # warm-up
  redis-benchmark -p 7399 -q -c 50 -n "$n" -P 16 -t set,get 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | awk '{printf "%s ", $2}'
  [[ -n $scraper ]] && kill "$scraper"
  redis-cli -p 7399 shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
}
on=(); off=()
for r in $(seq 1 "$rounds"); do
  off+=("$(run 0)"); on+=("$(run 9479)")
  echo "round $r: off ${off[-1]} | on ${on[-1]}"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for col in 1 2; do
  name=$([[ $col == 1 ]] && echo SET || echo GET)
  m_off=$(printf '%s\n' "${off[@]}" | awk -v c=$col '{print $c}' | median)
  m_on=$(printf '%s\n' "${on[@]}" | awk -v c=$col '{print $c}' | median)
  echo "$name median: off $m_off, on $m_on, on/off $(echo "scale=3; $m_on / $m_off" | bc)"
done
