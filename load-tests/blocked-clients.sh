#!/usr/bin/env bash
# The writer next to idle blocked clients, Kiln and redis-server 7.0 side by side: a pipelining
# writer's throughput (redis-benchmark SET, 50 clients, -P 16) alone and with N idle clients
# blocked in BLPOP plus a subscriber held open on the same server (tools/hold_clients.py).
#
# Single runs on a shared two-core machine vary by a third from one minute to the next, so the
# phases interleave: both servers run side by side, and each of CYCLES cycles measures both alone,
# then connects the N clients to both, measures both with them, and lets them go. The order of the
# two servers alternates by cycle. Prints every cycle, then per server the median alone, the
# median with, and the median of the per-cycle ratios (with / the mean of the alone runs either
# side of it). Loopback only.
#
#   load-tests/blocked-clients.sh [N] [REQUESTS] [CYCLES]   (default 10000 clients, 3000000, 5)
#   JAVA / JAVA_OPTS select Kiln's JVM and flags.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-10000}"; requests="${2:-3000000}"; cycles="${3:-5}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
java="${JAVA:-java}"
work="$(mktemp -d)"
maxclients=$((n + 200))
redis_port=7395; kiln_port=7396
# Servers on core 0, clients on core 1 (when there are two), so runs do not trade cores.
server_cpu=(); client_cpu=()
if command -v taskset > /dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); client_cpu=(taskset -c 1)
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_up() { for _ in $(seq 1 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
bench() { # port requests -> requests/s of SET
  "${client_cpu[@]}" redis-benchmark -p "$1" -q -c 50 -P 16 -n "$2" -r 100000 -t set 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | tail -1 | awk '{print $2}'
}
hold() { # port count file -> pid of a holder that has printed "ready"
  "${client_cpu[@]}" python3 "$here/tools/hold_clients.py" "$1" "$2" > "$3" &
  echo $!
}
await_ready() { # file
  for _ in $(seq 1 1200); do grep -q ready "$1" 2>/dev/null && return; sleep 0.1; done
  echo "clients never all blocked ($1)" >&2; exit 1
}
blocked() { redis-cli -p "$1" info clients | tr -d '\r' | awk -F: '$1=="blocked_clients"{print $2}'; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

"${server_cpu[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" --maxclients "$maxclients" > "$work/redis.log" 2>&1 &
pids+=($!)
"${server_cpu[@]}" "$java" ${JAVA_OPTS:-} -jar "$jar" --port "$kiln_port" --bind 127.0.0.1 --save "" \
  --dir "$work" --maxclients "$maxclients" > "$work/kiln.log" 2>&1 &
pids+=($!)
wait_up "$redis_port"; wait_up "$kiln_port"

# Warm-up: the writer, and once the blocking and subscribing paths (a JIT warms what it sees:
# without this the first blocked clients recompile the command path in the middle of the runs).
for port in "$redis_port" "$kiln_port"; do
  bench "$port" 2000000 > /dev/null
  h=$(hold "$port" 1000 "$work/warm-$port"); await_ready "$work/warm-$port"
  kill "$h"; wait "$h" 2>/dev/null || true
  bench "$port" 2000000 > /dev/null
done

declare -A alone with
measure() { # phase cycle: both servers, order alternating by cycle
  local order=("$redis_port" "$kiln_port")
  (( $2 % 2 == 0 )) && order=("$kiln_port" "$redis_port")
  for port in "${order[@]}"; do
    local r; r=$(bench "$port" "$requests")
    if [[ $1 == alone ]]; then alone[$port,$2]=$r; else with[$port,$2]=$r; fi
  done
}

printf '%-5s | %-36s | %-36s\n' cycle "redis: alone / with (blocked)" "kiln: alone / with (blocked)"
for c in $(seq 1 "$cycles"); do
  measure alone "$c"
  hr=$(hold "$redis_port" "$n" "$work/hold-r"); hk=$(hold "$kiln_port" "$n" "$work/hold-k")
  await_ready "$work/hold-r"; await_ready "$work/hold-k"
  br=$(blocked "$redis_port"); bk=$(blocked "$kiln_port")
  measure with "$c"
  kill "$hr" "$hk"; wait "$hr" "$hk" 2>/dev/null || true
  printf '%-5s | %12s / %12s (%s) | %12s / %12s (%s)\n' "$c" "${alone[$redis_port,$c]}" \
    "${with[$redis_port,$c]}" "$br" "${alone[$kiln_port,$c]}" "${with[$kiln_port,$c]}" "$bk"
done
last=$((cycles + 1))
measure alone "$last"
printf '%-5s | %12s / %12s   %5s | %12s / %12s\n' "$last" "${alone[$redis_port,$last]}" "-" "" \
  "${alone[$kiln_port,$last]}" "-"

echo
printf '%-6s %14s %14s %10s %18s\n' server "median alone" "median with" "with/alone" "median per-cycle"
for name in redis kiln; do
  port=$redis_port; [[ $name == kiln ]] && port=$kiln_port
  ma=$(for c in $(seq 1 "$last"); do echo "${alone[$port,$c]}"; done | median)
  mw=$(for c in $(seq 1 "$cycles"); do echo "${with[$port,$c]}"; done | median)
  mr=$(for c in $(seq 1 "$cycles"); do
    echo "scale=4; 2 * ${with[$port,$c]} / (${alone[$port,$c]} + ${alone[$port,$((c + 1))]})" | bc
  done | median)
  printf '%-6s %14.0f %14.0f %10.3f %18.3f\n' "$name" "$ma" "$mw" "$(echo "scale=4; $mw / $ma" | bc)" "$mr"
done
