#!/usr/bin/env bash
# RSS of N small strings, Kiln (started as the README starts it: java -jar target/kiln.jar, its
# conf/jvm.options defaults) beside redis-server 7.0 in the same run, and their ratio:
#   loaded     after N SETs of 16-byte values (keys key:%012d, as redis-benchmark -r names them),
#              once RSS stops moving
#   overwrite  peak and final RSS during SECONDS of full-speed overwrites of the same keys
#              (redis-benchmark -t set -r N -d 16 -c 50 -P 16)
#   settled    RSS once it stops moving after the overwrites
# plus used_memory of each (Kiln counts it with Redis's allocator arithmetic).
#
#   load-tests/rss-strings.sh [N] [SECONDS]     (defaults 1000000 60)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
n="${1:-1000000}"
secs="${2:-60}"
kport=17401
rport=17402
work="$(mktemp -d)"
cleanup() {
  redis-cli -p "$kport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
wait_up() { for _ in $(seq 1 300); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
pid_of() { redis-cli -p "$1" info server | tr -d '\r' | awk -F: '/^process_id:/ {print $2}'; }
used_mb() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '/^used_memory:/ {printf "%d", $2 / 1048576}'; }
settled_mb() { # pid -> RSS once it moved less than 1% over 2 s (at most 40 s)
  local a b; a=$(rss_mb "$1")
  for _ in $(seq 1 20); do
    sleep 2; b=$(rss_mb "$1")
    (( b * 100 >= a * 99 && b * 100 <= a * 101 )) && break
    a=$b
  done
  echo "$b"
}

(cd "$work" && java -jar "$jar" --port "$kport" --save '' --appendonly no > "$work/kiln.log" 2>&1 &)
redis-server --port "$rport" --save '' --appendonly no --daemonize yes --dir "$work" >/dev/null
wait_up "$kport"; wait_up "$rport"
kpid=$(pid_of "$kport"); rpid=$(pid_of "$rport")

python3 "$here/tools/gen_strings.py" "$n" > "$work/load.resp"

declare -A loaded peak final settled used
for p in "$kport" "$rport"; do
  redis-cli -p "$p" --pipe < "$work/load.resp" > /dev/null
done
loaded[k]=$(settled_mb "$kpid"); loaded[r]=$(settled_mb "$rpid")
used[kl]=$(used_mb "$kport"); used[rl]=$(used_mb "$rport")

overwrite() { # port pid key
  local port=$1 pid=$2 key=$3 top=0 r
  timeout "$secs" redis-benchmark -p "$port" -t set -r "$n" -d 16 -c 50 -P 16 -n 2000000000 -q \
    > /dev/null 2>&1 &
  local bench=$!
  while kill -0 "$bench" 2>/dev/null; do
    r=$(rss_mb "$pid"); (( r > top )) && top=$r
    sleep 0.5
  done
  peak[$key]=$top; final[$key]=$(rss_mb "$pid")
}
overwrite "$kport" "$kpid" k
overwrite "$rport" "$rpid" r
settled[k]=$(settled_mb "$kpid"); settled[r]=$(settled_mb "$rpid")
used[ko]=$(used_mb "$kport"); used[ro]=$(used_mb "$rport")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "N=$n strings of 16 bytes, ${secs}s of overwrites; RSS in MB"
printf '%-26s %10s %10s %8s\n' "" Kiln Redis ratio
printf '%-26s %10s %10s %8s\n' "used_memory after load" "${used[kl]}" "${used[rl]}" "$(ratio "${used[kl]}" "${used[rl]}")"
printf '%-26s %10s %10s %8s\n' "RSS after load" "${loaded[k]}" "${loaded[r]}" "$(ratio "${loaded[k]}" "${loaded[r]}")"
printf '%-26s %10s %10s %8s\n' "RSS peak, overwrites" "${peak[k]}" "${peak[r]}" "$(ratio "${peak[k]}" "${peak[r]}")"
printf '%-26s %10s %10s %8s\n' "RSS end of overwrites" "${final[k]}" "${final[r]}" "$(ratio "${final[k]}" "${final[r]}")"
printf '%-26s %10s %10s %8s\n' "RSS settled after" "${settled[k]}" "${settled[r]}" "$(ratio "${settled[k]}" "${settled[r]}")"
printf '%-26s %10s %10s %8s\n' "used_memory after" "${used[ko]}" "${used[ro]}" "$(ratio "${used[ko]}" "${used[ro]}")"
