#!/usr/bin/env bash
# Scripting, Kiln and redis-server 7.0 side by side in one run, both with save "" on a temp dir
# of their own, measured with redis-benchmark:
#  1. EVALSHA of a 3-call script (GET, INCR, EXPIRE on a key of 100,000) from 50 clients,
#     without pipelining and with -P 16;
#  2. EVALSHA of a CPU-bound script (10,000 iterations of Lua arithmetic, no redis.call) from
#     1 client and from 50.
# Each test's request count is sized per server for about DURATION seconds (a short calibration
# run first), so both servers run each test about as long. requests/s, Kiln/Redis.
#
#   load-tests/scripting-benchmark.sh
#   DURATION=10 (seconds per run)  REPEAT=3 (runs of each test, Kiln and Redis in turn; the
#   median is printed, and every run beside it)  JAVA_OPTS=... (Kiln's JVM flags; none by
#   default: the README's command)  KEYS_RANGE=100000
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repeat="${REPEAT:-3}"
duration="${DURATION:-10}"
range="${KEYS_RANGE:-100000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
tmp="$(mktemp -d /tmp/scripting-bench.XXXXXX)"
mkdir -p "$tmp/kiln" "$tmp/redis"

free_port() { # the first port from $1 up that nothing listens on
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
kport=$(free_port 7495)
rport=$(free_port $((kport + 1)))

java ${JAVA_OPTS:-} -jar "$jar" --port "$kport" --bind 127.0.0.1 --save "" --dir "$tmp/kiln" \
  > "$tmp/kiln.log" 2>&1 &
kiln=$!
redis-server --port "$rport" --bind 127.0.0.1 --save "" --dir "$tmp/redis" > "$tmp/redis.log" 2>&1 &
redis=$!
trap 'kill $kiln $redis 2>/dev/null || true; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for p in $kport $rport; do
  for _ in $(seq 1 300); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
echo "kiln :$kport ($(redis-cli -p "$kport" info server | tr -d '\r' | grep '^redis_version')), redis :$rport ($(redis-server --version | cut -d' ' -f3))"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

three_calls="local v = redis.call('GET', KEYS[1])
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 3600)
return n"
cpu="local s=0 for i=1,10000 do s=s+i*i%7 end return s"
load() { # port script -> sha (the same on both servers: the SHA1 of the body)
  redis-cli -p "$1" script load "$2"
}
three_sha=$(load $kport "$three_calls")
cpu_sha=$(load $kport "$cpu")
[[ "$(load $rport "$three_calls")" == "$three_sha" && "$(load $rport "$cpu")" == "$cpu_sha" ]]
# both servers answer the scripts the same
[[ "$(redis-cli -p $kport evalsha "$cpu_sha" 0)" == "$(redis-cli -p $rport evalsha "$cpu_sha" 0)" ]]
[[ "$(redis-cli -p $kport evalsha "$three_sha" 1 probe)" == 1 &&
   "$(redis-cli -p $rport evalsha "$three_sha" 1 probe)" == 1 ]]

rps() { # port n args... -> requests/s of one redis-benchmark run
  local port=$1 n=$2
  shift 2
  redis-benchmark -p "$port" -q -n "$n" "$@" 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | tail -1 | sed -E 's/^.*: ([0-9.]+) requests per second.*/\1/'
}
median() { # numbers -> their median
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
side_by_side() { # label probe-n args...: the median of $repeat runs of each, run in turn
  local label=$1 probe=$2
  shift 2
  # calibration: n for about $duration seconds on each server
  local kn rn
  kn=$(awk -v r="$(rps $kport "$probe" "$@")" -v d="$duration" 'BEGIN {printf "%d", r * d + 1}')
  rn=$(awk -v r="$(rps $rport "$probe" "$@")" -v d="$duration" 'BEGIN {printf "%d", r * d + 1}')
  local k=() r=()
  for _ in $(seq 1 "$repeat"); do
    k+=("$(rps $kport "$kn" "$@")")
    r+=("$(rps $rport "$rn" "$@")")
  done
  local km rm
  km=$(median "${k[@]}")
  rm=$(median "${r[@]}")
  printf '== %s\n' "$label"
  printf '%-7s kiln %9.0f  redis %9.0f  kiln/redis %.2f   (runs: kiln %s; redis %s; n %s / %s)\n' \
    median "$km" "$rm" "$(awk -v a="$km" -v b="$rm" 'BEGIN {print a / b}')" \
    "${k[*]}" "${r[*]}" "$kn" "$rn"
}

# Warm-up: Kiln's JIT compiles the request and scripting paths; Redis gets the same.
for p in $kport $rport; do
  redis-benchmark -p "$p" -q -c 50 -n 200000 -P 16 -r "$range" \
    evalsha "$three_sha" 1 "key:__rand_int__" > /dev/null 2>&1
  redis-benchmark -p "$p" -q -c 50 -n 200000 -r "$range" \
    evalsha "$three_sha" 1 "key:__rand_int__" > /dev/null 2>&1
  redis-benchmark -p "$p" -q -c 10 -n 5000 evalsha "$cpu_sha" 0 > /dev/null 2>&1
done

side_by_side "EVALSHA 3-call script (GET INCR EXPIRE), -c 50" 100000 \
  -c 50 -r "$range" evalsha "$three_sha" 1 "key:__rand_int__"
side_by_side "EVALSHA 3-call script (GET INCR EXPIRE), -c 50 -P 16" 300000 \
  -c 50 -P 16 -r "$range" evalsha "$three_sha" 1 "key:__rand_int__"
side_by_side "EVALSHA CPU-bound script (10,000 iterations), -c 1" 3000 \
  -c 1 evalsha "$cpu_sha" 0
side_by_side "EVALSHA CPU-bound script (10,000 iterations), -c 50" 5000 \
  -c 50 evalsha "$cpu_sha" 0
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
