#!/usr/bin/env bash
# The AOF issue's benchmark, Kiln and redis-server 7.0 side by side in one run, both with
# appendonly yes, aof-use-rdb-preamble yes, save "" on a temp dir of their own:
#  1. redis-benchmark -t set,incr,lpush at -c 50 (-P 1 and -P 16) and -c 1, under each
#     appendfsync policy (switched at runtime with CONFIG SET on both): requests/s, Kiln/Redis;
#  2. under always, a GET-only client on an untouched key next to 50 SET writers: its latency
#     (p50, p99, max) on each server (Redis stalls reads behind each fsync; Kiln should not).
#
#   load-tests/aof-benchmark.sh [N]        N: requests per -c 50 test (default 200000)
#   POLICIES="everysec always"  JAVA_OPTS=... (Kiln's JVM flags; none by default: the README's)
#   REPEAT=3: each test runs that many times, Kiln and Redis in turn; the median is printed
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-200000}"
repeat="${REPEAT:-3}"
policies="${POLICIES:-everysec always}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
tmp="$(mktemp -d /tmp/aof-bench.XXXXXX)"
mkdir -p "$tmp/kiln" "$tmp/redis"
kport=7493
rport=7494

java ${JAVA_OPTS:-} -jar "$jar" --port $kport --bind 127.0.0.1 --save "" --dir "$tmp/kiln" \
  --appendonly yes --aof-use-rdb-preamble yes > "$tmp/kiln.log" 2>&1 &
kiln=$!
redis-server --port $rport --bind 127.0.0.1 --save "" --dir "$tmp/redis" --appendonly yes \
  --aof-use-rdb-preamble yes > "$tmp/redis.log" 2>&1 &
redis=$!
writers=
trap 'kill $kiln $redis $writers 2>/dev/null || true; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for p in $kport $rport; do
  for _ in $(seq 1 200); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
done

rps() { # port args... -> "TEST rps" lines
  local port=$1
  shift
  redis-benchmark -p "$port" -q "$@" 2>&1 | tr '\r' '\n' | grep "requests per second" \
    | sed -E 's/^ *([A-Z_]+)[^:]*: ([0-9.]+) requests per second.*/\1 \2/'
}
side_by_side() { # label args...: the median of $repeat runs of each, run in turn
  local label=$1
  shift
  echo "== $label"
  : > "$tmp/k.rps"
  : > "$tmp/r.rps"
  for _ in $(seq 1 "$repeat"); do
    rps $kport "$@" >> "$tmp/k.rps"
    rps $rport "$@" >> "$tmp/r.rps"
  done
  paste <(median "$tmp/k.rps") <(median "$tmp/r.rps") \
    | awk '{printf "%-8s kiln %9.0f  redis %9.0f  kiln/redis %.2f\n", $1, $2, $4, $2/$4}'
}
median() { # "TEST rps" lines -> one line per test (first-seen order) with the median rps
  awk '{v[$1] = v[$1] " " $2; if (!($1 in seen)) {seen[$1] = 1; order[++k] = $1}}
    END {for (i = 1; i <= k; i++) {t = order[i]; m = split(v[t], a, " ");
      for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) {z = a[x]; a[x] = a[y]; a[y] = z}
      print t, a[int((m + 1) / 2)]}}' "$1"
}

# Warm-up: Kiln's JIT compiles the request and AOF paths (and its startup rehearsal ends).
for policy in always everysec; do
  redis-cli -p $kport config set appendfsync $policy > /dev/null
  redis-benchmark -p $kport -q -c 50 -n 300000 -P 4 -t set,incr,lpush,get > /dev/null 2>&1
done

for policy in $policies; do
  redis-cli -p $kport config set appendfsync "$policy" > /dev/null
  redis-cli -p $rport config set appendfsync "$policy" > /dev/null
  side_by_side "$policy -c 50 -n $n" -c 50 -n "$n" -t set,incr,lpush
  side_by_side "$policy -c 50 -P 16 -n $((n * 5))" -c 50 -P 16 -n $((n * 5)) -t set,incr,lpush
  side_by_side "$policy -c 1 -n $((n / 20))" -c 1 -n $((n / 20)) -t set,incr,lpush
done

# GET-only latency on an untouched key while 50 clients write, under always.
latency() { # port -> "p50 p99 max" of the GET client
  local port=$1
  redis-cli -p "$port" config set appendfsync always > /dev/null
  redis-cli -p "$port" set untouched value > /dev/null
  redis-benchmark -p "$port" -c 50 -n 100000000 -r 1000000 -t set > /dev/null 2>&1 &
  writers=$!
  redis-benchmark -p "$port" -c 50 -n 200000 -r 1000000 -t set > /dev/null 2>&1 # writers reach speed
  redis-benchmark -p "$port" -c 1 -n 20000 GET untouched 2>&1 | tr '\r' '\n' \
    | awk '/latency summary/ {getline; getline; print $3, $5, $6}'
  kill $writers 2>/dev/null || true
  wait $writers 2>/dev/null || true
  writers=
}
echo "== always: GET on an untouched key beside 50 SET writers (msec)"
k=$(latency $kport)
r=$(latency $rport)
echo "kiln  p50 p99 max: $k"
echo "redis p50 p99 max: $r"
echo "$k $r" | awk '{printf "kiln/redis p99 %.2f\n", $2/$5}'
