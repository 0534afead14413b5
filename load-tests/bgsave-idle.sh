#!/usr/bin/env bash
# Out of the box: BGSAVE of KEYS small strings on an otherwise idle server, Kiln started exactly
# as the README starts it (java -jar target/kiln.jar: the defaults of conf/jvm.options) beside
# redis-server 7.0 in the same run. A PING probe (tools/ping_probe.py, one PING every 10 ms)
# runs for a window of SECONDS without a save, then across one BGSAVE; prints the longest PING
# of each window, the save's duration, and Redis's fork pause (latest_fork_usec).
#
#   load-tests/bgsave-idle.sh [KEYS] [SECONDS]     (defaults 3000000 10)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
n="${1:-3000000}"
secs="${2:-10}"
kport=17411
rport=17412
work="$(mktemp -d)"
mkdir -p "$work/kiln" "$work/redis"
cleanup() {
  redis-cli -p "$kport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 300); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }

(cd "$work/kiln" && java -jar "$jar" --port "$kport" --save '' --dir "$work/kiln" > "$work/kiln.log" 2>&1 &)
redis-server --port "$rport" --save '' --daemonize yes --dir "$work/redis" >/dev/null
wait_up "$kport"; wait_up "$rport"

python3 "$here/tools/gen_strings.py" "$n" > "$work/load.resp"

measure() { # port name
  local port=$1 name=$2
  redis-cli -p "$port" --pipe < "$work/load.resp" > /dev/null
  sleep 20 # let the loaded server settle (JIT, collector) before the windows: idle, as asked
  python3 "$here/tools/ping_probe.py" "$port" "$secs" > "$work/$name.idle"
  python3 "$here/tools/ping_probe.py" "$port" 600 > "$work/$name.save" &
  local probe=$!
  sleep 1
  local t0; t0=$(date +%s%N)
  redis-cli -p "$port" bgsave > /dev/null
  sleep 0.05
  while [[ "$(field "$port" persistence rdb_bgsave_in_progress)" == 1 ]]; do sleep 0.05; done
  local t1; t1=$(date +%s%N)
  sleep 1
  kill -TERM "$probe"; wait "$probe" || true
  echo "$name: longest PING idle $(grep -o 'max_ms=[0-9.]*' "$work/$name.idle" | cut -d= -f2) ms," \
    "across the BGSAVE $(grep -o 'max_ms=[0-9.]*' "$work/$name.save" | cut -d= -f2) ms;" \
    "save $(( (t1 - t0) / 1000000 )) ms; fork $(field "$port" stats latest_fork_usec) us"
}
echo "BGSAVE of $n strings, idle, PING every 10 ms; windows of ${secs}s"
measure "$kport" kiln
measure "$rport" redis
