#!/usr/bin/env bash
# The server-core issue's benchmark: redis-benchmark -q -c 50 -n N -t ping,set,get,incr,mset,
# with and without -P 16, against Kiln and redis-server 7.0 started here on loopback with the
# same settings, printing requests/s per test and the Kiln/Redis ratio.
#
#   load-tests/redis-benchmark-side-by-side.sh [N]      (JAVA_OPTS for Kiln's JVM flags)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-1000000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
tests=ping,set,get,incr,mset

java ${JAVA_OPTS:-} -jar "$jar" --port 7393 --bind 127.0.0.1 --save "" > /tmp/rb-kiln.log 2>&1 &
kiln=$!
redis-server --port 7394 --bind 127.0.0.1 --save "" --appendonly no --dir /tmp > /tmp/rb-redis.log 2>&1 &
redis=$!
trap 'kill $kiln $redis 2>/dev/null || true' EXIT
for p in 7393 7394; do
  for _ in $(seq 1 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
done
bench() { # port pipeline -> "TEST rps" lines
  redis-benchmark -p "$1" -q -c 50 -n "$n" -P "$2" -t "$tests" 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | sed -E 's/^ *([A-Z_]+)[^:]*: ([0-9.]+) requests per second.*/\1 \2/'
}
# A short warm-up so Kiln's JIT has compiled the request path before the measured run.
redis-benchmark -p 7393 -q -c 50 -n 200000 -t "$tests" > /dev/null 2>&1
for pipeline in 1 16; do
  echo "== -c 50 -n $n -P $pipeline"
  paste <(bench 7393 "$pipeline") <(bench 7394 "$pipeline") \
    | awk '{printf "%-10s kiln %10.0f  redis %10.0f  kiln/redis %.2f\n", $1, $2, $4, $2/$4}'
done
