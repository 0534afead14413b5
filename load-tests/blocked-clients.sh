#!/usr/bin/env bash
# The writer next to idle blocked clients, Kiln and redis-server 7.0 side by side: a pipelining
# writer's throughput (redis-benchmark SET, 50 clients, -P 16) alone, then with N idle clients
# blocked in BLPOP plus a subscriber held open on the same server (tools/hold_clients.py), then
# alone again. Prints requests/s per phase and with/alone per server. Loopback only.
#
#   load-tests/blocked-clients.sh [N] [REQUESTS]      (default 10000 clients, 5000000 SETs)
#   JAVA / JAVA_OPTS select Kiln's JVM and flags.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-10000}"; requests="${2:-5000000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
java="${JAVA:-java}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
maxclients=$((n + 200))
# Server on core 0, clients on core 1 (when there are two), so runs do not trade cores.
server_cpu=(); client_cpu=()
if command -v taskset > /dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); client_cpu=(taskset -c 1)
fi

wait_up() { for _ in $(seq 1 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
bench() { # port -> requests/s of SET
  "${client_cpu[@]}" redis-benchmark -p "$1" -q -c 50 -P 16 -n "$requests" -r 100000 -t set 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | tail -1 | awk '{print $2}'
}
phases() { # name port pid
  local name=$1 port=$2
  # Warm-up: the writer, and once the blocking and subscribing paths (a JIT warms what it sees:
  # without this the first blocked clients recompile the command path in the middle of the runs)
  "${client_cpu[@]}" redis-benchmark -p "$port" -q -c 50 -P 16 -n 2000000 -t set > /dev/null 2>&1
  "${client_cpu[@]}" python3 "$here/tools/hold_clients.py" "$port" 1000 > "$work/warm-$name.txt" &
  local warm=$!
  for _ in $(seq 1 600); do grep -q ready "$work/warm-$name.txt" 2>/dev/null && break; sleep 0.1; done
  kill "$warm"; wait "$warm" 2>/dev/null || true
  "${client_cpu[@]}" redis-benchmark -p "$port" -q -c 50 -P 16 -n 2000000 -t set > /dev/null 2>&1
  local alone1; alone1=$(bench "$port")
  "${client_cpu[@]}" python3 "$here/tools/hold_clients.py" "$port" "$n" > "$work/hold-$name.txt" &
  local holder=$!
  for _ in $(seq 1 1200); do grep -q ready "$work/hold-$name.txt" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/hold-$name.txt" || { echo "$name: clients never all blocked" >&2; exit 1; }
  local blocked; blocked=$(redis-cli -p "$port" info clients | tr -d '\r' | awk -F: '$1=="blocked_clients"{print $2}')
  local with; with=$(bench "$port")
  kill "$holder"; wait "$holder" 2>/dev/null || true
  local alone2; alone2=$(bench "$port")
  printf '%-6s %8s | %12s %14s %12s | %6s\n' "$name" "$blocked" "$alone1" "$with" "$alone2" \
    "$(echo "scale=2; 2 * $with / ($alone1 + $alone2)" | bc)"
}

printf '%-6s %8s | %12s %14s %12s | %6s\n' server blocked "alone SET/s" "with SET/s" \
  "alone SET/s" "with/alone"
"${server_cpu[@]}" redis-server --port 7395 --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --maxclients "$maxclients" > "$work/redis.log" 2>&1 &
rpid=$!; wait_up 7395
phases redis 7395 "$rpid"
redis-cli -p 7395 shutdown nosave > /dev/null 2>&1 || kill "$rpid"; wait "$rpid" 2>/dev/null || true

"${server_cpu[@]}" "$java" ${JAVA_OPTS:-} -jar "$jar" --port 7396 --bind 127.0.0.1 --save "" --dir "$work" \
  --maxclients "$maxclients" > "$work/kiln.log" 2>&1 &
kpid=$!; wait_up 7396
phases kiln 7396 "$kpid"
redis-cli -p 7396 shutdown nosave > /dev/null 2>&1 || kill "$kpid"; wait "$kpid" 2>/dev/null || true
