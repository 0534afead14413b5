#!/usr/bin/env bash
# Memory per element of the compact encodings, Kiln and redis-server 7.0 side by side, fed the
# same command stream (tools/gen_types.py through redis-cli --pipe):
#   hashes: 1M hashes of 10 small fields   sets: 1M sets of 10 small integers
#   zsets:  1M sorted sets of 10 members   lists: 100K lists of 100 elements
# Per dataset and server: RSS of the empty server after a warm-up (a tenth of the stream
# loaded, then FLUSHALL, so per-process costs such as compiled code and buffer pools are not
# charged to the data), RSS after loading (Kiln: after a full GC, jcmd GC.run; both once RSS
# stops moving), their difference per element, and the Kiln/Redis ratio of that difference; for
# Kiln also the heap the data adds (used after a full GC, loaded minus empty), and its RSS as
# loaded (15 s after the load, before that GC) next to Redis's: the "RSS" column, Kiln/Redis. Kiln starts as the README
# starts it (java -jar, conf/jvm.options). Loopback only; stops its servers.
#
#   load-tests/memory-types.sh [DATASETS...] (default: hashes sets zsets lists)
#   SCALE=0.1 shrinks every dataset; JAVA / JAVA_OPTS select Kiln's JVM and flags.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
java="${JAVA:-java}"
scale="${SCALE:-1}"
datasets=("$@"); [[ ${#datasets[@]} -gt 0 ]] || datasets=(hashes sets zsets lists)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_up() { for _ in $(seq 1 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
settled_rss_kb() { # pid -> RSS once it stops moving (G1 uncommits freed regions after the GC)
  local a b; a=$(rss_kb "$1")
  for _ in $(seq 1 30); do
    sleep 1; b=$(rss_kb "$1")
    (( b * 100 > a * 99 && b * 100 < a * 101 )) && break
    a=$b
  done
  echo "$b"
}
heap_used_kb() { jcmd "$1" GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+'; }

measure() { # name port pid stream warmup -> "rss0_kb rss1_kb extra keys"
  local name=$1 port=$2 pid=$3 stream=$4 warmup=$5
  redis-cli -p "$port" --pipe < "$warmup" > /dev/null
  redis-cli -p "$port" flushall > /dev/null
  local heap0=0
  if [[ $name == kiln ]]; then jcmd "$pid" GC.run > /dev/null; heap0=$(heap_used_kb "$pid"); fi
  local rss0; rss0=$(settled_rss_kb "$pid")
  redis-cli -p "$port" --pipe < "$stream" > "$work/pipe-$name.txt"
  grep -q "errors: 0," "$work/pipe-$name.txt" || { cat "$work/pipe-$name.txt" >&2; exit 1; }
  local extra="" asloaded=0
  if [[ $name == kiln ]]; then
    sleep 15 # Kiln's HeapFollower returns a load's heap overshoot within ~10 s of it
    asloaded=$(settled_rss_kb "$pid")
    jcmd "$pid" GC.run > /dev/null
    extra="heap_used_kb=$(( $(heap_used_kb "$pid") - heap0 ))"
  else
    extra="used_memory=$(redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}')"
  fi
  echo "$rss0 $(settled_rss_kb "$pid") $extra keys=$(redis-cli -p "$port" dbsize) $asloaded"
}

printf '%-7s %10s | %12s %12s | %12s %12s %12s %14s | %6s %6s\n' dataset elements \
  "redis RSS MB" "redis B/el" "kiln loaded" "kiln RSS MB" "kiln B/el" "kiln heap B/el" ratio \
  "RSS"
for ds in "${datasets[@]}"; do
  stream="$work/$ds.resp"
  python3 "$here/tools/gen_types.py" "$ds" "$scale" > "$stream"
  python3 "$here/tools/gen_types.py" "$ds" "$(echo "$scale / 10" | bc -l)" > "$work/$ds-warmup.resp"
  case $ds in lists) elements=$(python3 -c "print(int(100000*$scale)*100)");;
              *) elements=$(python3 -c "print(int(1000000*$scale)*10)");; esac

  redis-server --port 7393 --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    > "$work/redis.log" 2>&1 &
  rpid=$!; wait_up 7393
  read -r r0 r1 rextra rkeys _ <<< "$(measure redis 7393 "$rpid" "$stream" "$work/$ds-warmup.resp")"
  redis-cli -p 7393 shutdown nosave > /dev/null 2>&1 || kill "$rpid"; wait "$rpid" 2>/dev/null || true

  "$java" ${JAVA_OPTS:-} -jar "$jar" --port 7394 --bind 127.0.0.1 --save "" --dir "$work" \
    > "$work/kiln.log" 2>&1 &
  kpid=$!; wait_up 7394
  # the server's own pid: java -jar relaunches the server in a child JVM (conf/jvm.options)
  spid=$(redis-cli -p 7394 info server | tr -d '\r' | awk -F: '$1=="process_id"{print $2}')
  read -r k0 k1 kextra kkeys kloaded <<< "$(measure kiln 7394 "$spid" "$stream" "$work/$ds-warmup.resp")"
  redis-cli -p 7394 shutdown nosave > /dev/null 2>&1 || kill "$kpid"; wait "$kpid" 2>/dev/null || true

  [[ $rkeys == "$kkeys" ]] || { echo "key counts differ: redis $rkeys kiln $kkeys" >&2; exit 1; }
  heap=${kextra#heap_used_kb=}
  rb=$(( (r1 - r0) * 1024 / elements )); kb=$(( (k1 - k0) * 1024 / elements ))
  printf '%-7s %10d | %12d %12d | %12d %12d %12d %14d | %6s %6s\n' "$ds" "$elements" \
    $((r1 / 1024)) "$rb" $((kloaded / 1024)) $((k1 / 1024)) "$kb" $((heap * 1024 / elements)) \
    "$(echo "scale=2; $kb / $rb" | bc)" "$(echo "scale=2; $kloaded / $r1" | bc)"
done
