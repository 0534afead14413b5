#!/usr/bin/env bash
# The 10M-key check of the server-core issue, Kiln and redis-server 7.0 side by side:
# DEBUG POPULATE 10000000 while a probe PINGs every 10 ms (the longest answer shows any pause,
# e.g. a table resize or a GC), then redis-benchmark -t get over the keys; prints populate time,
# longest PING, GET requests/s and RSS after each step. Loopback only; stops its servers.
#
#   load-tests/keyspace-10m.sh [KEYS]        (JAVA_OPTS to pass JVM flags to Kiln)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
keys="${1:-10000000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests

rss() { # port -> used_memory_rss in bytes, as INFO reports it
  redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory_rss" {print $2}'
}

run() { # name port start-command...
  local name=$1 port=$2; shift 2
  "$@" > "/tmp/keyspace-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  python3 "$here/tools/ping_probe.py" "$port" 3600 > "/tmp/keyspace-$name-probe.txt" &
  local probe=$!
  local t0=$(date +%s.%N)
  redis-cli -p "$port" debug populate "$keys" > /dev/null
  local t1=$(date +%s.%N)
  local rss1=$(rss "$port")
  kill "$probe"; wait "$probe" 2>/dev/null || true
  local gets=$(redis-benchmark -p "$port" -q -t get -r "$keys" -n 1000000 -c 50 2>&1 \
    | tr '\r' '\n' | grep "requests per second" | tail -1)
  local rss2=$(rss "$port")
  echo "== $name: $(redis-cli -p "$port" dbsize) keys"
  echo "   populate: $(echo "$t1 - $t0" | bc) s; RSS after: $((rss1 / 1048576)) MB"
  echo "   probe during populate: $(head -1 "/tmp/keyspace-$name-probe.txt")"
  echo "   $gets; RSS after: $((rss2 / 1048576)) MB"
  if [[ $name == kiln ]]; then
    # A JVM keeps the heap it grew: a full GC shows what the data itself holds.
    jcmd "$pid" GC.run > /dev/null
    echo "   after a full GC: RSS $(( $(ps -o rss= -p "$pid") / 1024 )) MB," \
      "heap used $(jcmd "$pid" GC.heap_info | grep -oE 'used [0-9]+K' | head -1)"
  fi
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
}

run kiln 7391 java ${JAVA_OPTS:-} -jar "$jar" --port 7391 --bind 127.0.0.1 --save "" \
  --enable-debug-command yes
run redis 7392 redis-server --port 7392 --bind 127.0.0.1 --save "" --appendonly no \
  --enable-debug-command yes --dir /tmp
