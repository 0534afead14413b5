#!/usr/bin/env bash
# Idle footprint and memory per connection, Kiln and redis-server 7.0 side by side. Kiln starts
# with the README's command (java -jar target/kiln.jar conf/kiln.conf, its JVM options coming from
# conf/jvm.options), with port and persistence overridden; Redis with --save ''. Per server: RSS
# idle (after WARMUP_S seconds, default 10, so Kiln's startup work is done), RSS holding N idle
# connections (default 10000; each sent one PING), the cost per connection, and RSS after they
# close, within AFTER_S seconds (default 30; tools/footprint.py). Prints a table with Kiln/Redis
# ratios; stops its servers.
#
#   load-tests/footprint.sh [N]     KILN_PORT / REDIS_PORT (default 7701 / 7702) pick the ports;
#   extra Kiln arguments after --, e.g. load-tests/footprint.sh 10000 -- --maxmemory 1gb
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
n="${1:-10000}"; shift || true
[[ "${1:-}" == "--" ]] && shift
kport="${KILN_PORT:-7701}"; rport="${REDIS_PORT:-7702}"
ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) > n + 100 )) || { echo "ulimit -n $(ulimit -n) is too low for $n connections" >&2; exit 1; }
[[ -f "$root/target/kiln.jar" ]] || (cd "$root" && mvn -q package -DskipTests)
work="$(mktemp -d)"
kiln=""
cleanup() {
  [[ -n "$kiln" ]] && kill -TERM "$kiln" 2>/dev/null && wait "$kiln" 2>/dev/null
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 300); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }

(cd "$root" && exec java -jar target/kiln.jar conf/kiln.conf --port "$kport" --save "" \
  --appendonly no --dir "$work" --maxclients $((n + 100)) "$@" > "$work/kiln.log" 2>&1) &
kiln=$!
redis-server --port "$rport" --save '' --daemonize yes --dir "$work" --maxclients $((n + 100)) \
  --logfile "$work/redis.log"
wait_up "$kport"; wait_up "$rport"
sleep "${WARMUP_S:-10}"
grep -E "JVM options" "$work/kiln.log" || true

python3 "$here/tools/footprint.py" "$n" redis="$rport" kiln="$kport" > "$work/out.txt"
awk -v n="$n" '
  { idle[$1]=$3; open[$1]=$4; closed[$1]=$5; after[$1]=$6 }
  END {
    printf "%-6s %12s %14s %12s %16s\n", "", "idle RSS MB", "per conn KB", "closed MB", "(after s)"
    for (s in idle) if (s != "") printf "%-6s %12.1f %14.2f %12.1f %16s\n", s, idle[s]/1024, (open[s]-idle[s])/n, closed[s]/1024, after[s]
    printf "%-6s %12.1f %14.1f %12.1f\n", "ratio", idle["kiln"]/idle["redis"], (open["kiln"]-idle["kiln"])/(open["redis"]-idle["redis"]), closed["kiln"]/closed["redis"]
  }' "$work/out.txt"
# java -jar's own JVM (the launcher) waits beside the server for its whole life: count it too.
launcher_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$kiln/status" 2>/dev/null || echo 0)
printf 'kiln launcher JVM (java -jar, waits for the server): %.1f MB RSS\n' "$(echo "$launcher_kb / 1024" | bc -l)"
