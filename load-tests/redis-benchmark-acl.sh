#!/usr/bin/env bash
# ACL cost: redis-benchmark -c 50 -n N -P 1 -t set,get against one Kiln, as the default user and
# as a user with key patterns (user bench on >pw ~key:* ~bench:* &* +@all), alternating
# default/bench for R rounds; prints each round's requests/s and the median bench/default ratio.
#
#   load-tests/redis-benchmark-acl.sh [N] [R]     (JAVA_OPTS for Kiln's JVM flags)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-200000}"
rounds="${2:-3}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
dir="$(mktemp -d)"
port=7397
java ${JAVA_OPTS:-} -jar "$jar" --port "$port" --bind 127.0.0.1 --save "" --dir "$dir" \
  --user bench on '>pw' '~key:*' '~bench:*' '&*' +@all > /tmp/rb-acl-kiln.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
sleep 6 # Kiln rehearses its snapshot code at its first quiet second: not during the run
redis-benchmark -p "$port" -q -c 50 -n 100000 -t set,get > /dev/null 2>&1 # warm-up
run() { # extra redis-benchmark args -> "SET rps GET rps"
  redis-benchmark -p "$port" "$@" -q -c 50 -n "$n" -P 1 -t set,get 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | sed -E 's/^ *([A-Z_]+)[^:]*: ([0-9.]+) requests.*/\2/' \
    | paste -sd' '
}
ratios=()
for r in $(seq 1 "$rounds"); do
  d="$(run)"; b="$(run --user bench -a pw)"
  echo "round $r  default: SET/GET $d   bench (key patterns): SET/GET $b"
  ratios+=("$(echo "$d $b" | awk '{printf "%.3f %.3f", $3/$1, $4/$2}')")
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median bench/default: SET $(printf '%s\n' "${ratios[@]}" | awk '{print $1}' | median)" \
  "GET $(printf '%s\n' "${ratios[@]}" | awk '{print $2}' | median)"
