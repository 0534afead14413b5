#!/usr/bin/env bash
# The AOF-rewrite issue's measurement, Kiln and redis-server 7.0 side by side, modelled on
# bgsave-10m.sh: KEYS string keys (SET key:%012d through redis-cli --pipe) plus HASHES small
# hashes, both servers with `--appendonly yes --appendfsync everysec --aof-use-rdb-preamble yes
# --save ""`, then redis-benchmark overwrites those keys at full speed while BGREWRITEAOF runs;
# a probe PINGs every 10 ms. Per rewrite it prints the rewrite time, the writes served during it,
# the longest PING during it next to the longest PING of two windows without one on the same
# server (WINDOW seconds before it, and an equal window right after it, as long as the rewrite
# took), RSS at the start and at its peak during it (Redis: plus its child's copy-on-write,
# current_cow_size, which the parent's RSS does not hold), and the rewrite buffer's peak (Kiln:
# the gauge kiln_aof_rewrite_buffer_bytes, the part in memory, bounded at 64 MB, and the spill
# file temp-rewriteaof-buf-*.aof in dir past that; Redis 7.0 has no rewrite buffer: the writes
# made meanwhile go to a new incr file of its appendonlydir). Once the writers stop and the AOF
# is flushed (aof_buffer_length 0, then 2 s for everysec's fsync) it takes DEBUG DIGEST and
# DBSIZE, shuts the server down, restarts it on its own files, times the load and compares.
#
#   load-tests/bgrewriteaof-10m.sh [KEYS] [HASHES]
#   Knobs as in bgsave-10m.sh: JAVA, JAVA_OPTS (default the same fixed, pre-touched 4 GB G1 heap
#   with a 5 ms pause goal on transparent huge pages, so that RSS does not follow the collector's
#   sizing; JAVA_OPTS= runs Kiln as the README does, with no JVM flags), ONLY=kiln|redis, WARMUP
#   (default 25 s), NICE (the writer's niceness), PROBE_NICE, CPUS=split (the servers' main
#   thread on CPU 0, their rewrite/snapshot threads -- bgsave_cpulist, and Redis's
#   aof_rewrite_cpulist (Kiln writes the rewrite's base with its snapshot writer) --
#   the benchmark, probe and poll on the others), FLOOR (default 20 s; 0 skips it). REWRITES=N
#   repeats the round (window without a rewrite, BGREWRITEAOF, equal window after) N times over
#   the same writes. WINDOW (default 6 s) is the length of the window before each rewrite.
#   Both servers run with auto-aof-rewrite-percentage 0: the only rewrites are the script's (the
#   preload alone grows the file past auto-aof-rewrite-min-size and doubles it, and the writes
#   double it again every few seconds, which would start rewrites in the windows without one).
#   Kiln also gets metrics-port 9397 for the buffer's gauge.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
keys="${1:-10000000}"
hashes="${2:-1000000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
metrics_port=9397

# two servers in turn, each up to ~4.4 GB for 10M keys (Kiln's fixed 4 GB heap; Redis ~1.5 GB),
# plus the page cache of files of a few GB: stop early rather than swap or be OOM-killed
need_mb=$((1000 + 5000 * keys / 10000000 + 1000 * hashes / 1000000))
avail_mb=$(($(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo) / 1024))
echo "== memory: ${avail_mb} MB available, about ${need_mb} MB needed"
((avail_mb >= need_mb)) || { echo "not enough memory for $keys keys + $hashes hashes" >&2; exit 1; }

# the longest "event-loop" stall in LATENCY LATEST since the last LATENCY RESET (Kiln only)
stall() { redis-cli -p "$1" latency latest | awk 'f && ++n == 3 {print; exit} $0 == "event-loop" {f = 1}'; }
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }
rss() { info_field "$1" memory used_memory_rss; }
commands() { info_field "$1" stats total_commands_processed; }
mb() { echo $(($1 / 1048576)); }
load=() server_args=() redis_cpu_args=()
if [[ ${CPUS:-} == split ]]; then
  (($(nproc) >= 2)) || { echo "CPUS=split needs two CPUs or more" >&2; exit 1; }
  others="1-$(($(nproc) - 1))"
  load=(taskset -c "$others")
  server_args=(--server_cpulist 0 --bgsave_cpulist "$others")
  redis_cpu_args=(--aof_rewrite_cpulist "$others")
fi
aof_args=(--appendonly yes --appendfsync everysec --aof-use-rdb-preamble yes --save ""
  --auto-aof-rewrite-percentage 0)
probe_cmd=("${load[@]}" nice -n "${PROBE_NICE:--10}" python3 "$here/tools/ping_probe.py")
wait_up() { for _ in $(seq 1 1200); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return; sleep 0.1; done; }
# the AOF's files in dir: Kiln's appendonly.aof, Redis 7.0's appendonlydir/
aof_files() { (cd "$1" && find . -name '*.aof' -o -name '*.rdb' -o -name '*.manifest' | sort | while read -r f; do
  echo -n "$f $(mb "$(stat -c %s "$f")") MB; "; done); }

# One round: WINDOW s of the probe without a rewrite, the probe across one BGREWRITEAOF (Kiln's
# stall monitor reset before each window), then a window without one as long as the rewrite.
measure_rewrite() { # name port dir
  local name=$1 port=$2 dir=$3 f=/tmp/bgrewriteaof-$1
  local window=${WINDOW:-6}
  local ra=$(rss "$port") ta=$(date +%s.%N) ca=$(commands "$port")
  redis-cli -p "$port" latency reset > /dev/null
  "${probe_cmd[@]}" "$port" "$window" > "$f-before.txt"
  local rb=$(rss "$port") tb=$(date +%s.%N) sb=$(stall "$port") cb=$(commands "$port")
  echo "   probe under full-speed SETs, no rewrite ($window s before): $(head -1 "$f-before.txt")"
  [[ $name == kiln ]] && echo "   longest event-loop stall, no rewrite before: ${sb:-0} ms"
  echo "   RSS without a rewrite: $(mb "$ra") -> $(mb "$rb") MB in $(echo "scale=1; ($tb - $ta) / 1" | bc) s"
  echo "   writes served without a rewrite: $(echo "($cb - $ca) / ($tb - $ta)" | bc)/s"
  echo "   AOF before: $(aof_files "$dir")"
  "${probe_cmd[@]}" "$port" 3600 "$f-samples.txt" > "$f-during.txt" &
  local probe=$!
  local rss0=$(rss "$port")
  sleep 1 # the probe is connected and PINGing before BGREWRITEAOF: a fork's pause shows in its figures
  # LATENCY RESET, BGREWRITEAOF, then INFO every 0.2 s over one connection until it is over
  local secs peak served t0 t1 buf spill cow mport=0
  [[ $name == kiln ]] && mport=$metrics_port
  read -r secs peak served t0 t1 buf spill cow < <("${load[@]}" python3 "$here/tools/save_poll.py" \
    "$port" 0.2 bgrewriteaof "$dir" "$mport")
  local sd=$(stall "$port")
  kill "$probe"; wait "$probe" 2>/dev/null || true
  python3 "$here/tools/window_stats.py" "$f-samples.txt" "$t0" "$t1" > "$f-window.txt"
  # the equal window right after, without a rewrite (whole seconds, at least one)
  local equal=$(printf '%.0f' "$secs"); ((equal >= 1)) || equal=1
  redis-cli -p "$port" latency reset > /dev/null
  local c2=$(commands "$port") t2=$(date +%s.%N)
  "${probe_cmd[@]}" "$port" "$equal" > "$f-after.txt"
  local c3=$(commands "$port") t3=$(date +%s.%N) sa=$(stall "$port")
  echo "   BGREWRITEAOF under full-speed SETs: $secs s," \
    "aof_last_bgrewrite_status:$(info_field "$port" persistence aof_last_bgrewrite_status)," \
    "latest_fork_usec $(info_field "$port" stats latest_fork_usec)," \
    "aof_base_size $(mb "$(info_field "$port" persistence aof_base_size)") MB"
  echo "   writes served during the rewrite: $served ($(echo "$served / $secs" | bc)/s)"
  echo "   probe during the rewrite: $(head -1 "$f-window.txt")"
  echo "   its five longest (ms@time): $(tail -1 "$f-window.txt")"
  echo "   probe from 1 s before the rewrite to its end: $(head -1 "$f-during.txt")"
  echo "   probe in the equal window after it, no rewrite ($equal s): $(head -1 "$f-after.txt")"
  echo "   writes served in the equal window after: $(echo "($c3 - $c2) / ($t3 - $t2)" | bc)/s"
  [[ $name == kiln ]] && echo "   longest event-loop stall during the rewrite / equal window after: ${sd:-0} / ${sa:-0} ms"
  echo "   RSS at the start $(mb "$rss0") MB, peak during the rewrite $(mb "$peak") MB" \
    "($(echo "scale=1; 100 * ($peak - $rss0) / $rss0" | bc)%)"
  ((cow >= 0)) && echo "   child's copy-on-write, peak of current_cow_size: $(mb "$cow") MB" \
    "($(echo "scale=1; 100 * $cow / $rss0" | bc)% of the RSS at the start);" \
    "aof_last_cow_size $(mb "$(info_field "$port" persistence aof_last_cow_size)") MB"
  if [[ $name == kiln ]]; then
    echo "   rewrite buffer: gauge peak (in memory, sampled 1/s) $(mb "$buf") MB of the 64 MB bound;" \
      "spill file peak $( ((spill >= 0)) && echo "$(mb "$spill") MB" || echo "none")"
    echo "   its log: $(grep 'Residual parent diff' "/tmp/bgrewriteaof-$name.log" | tail -1 | sed 's/.*Residual/Residual/')"
  fi
  echo "   AOF after: $(aof_files "$dir")"
}

run() { # name port dir start-command...
  local name=$1 port=$2 dir=$3; shift 3
  local extra=()
  if [[ $name == kiln ]]; then extra=(--metrics-port "$metrics_port"); else extra=("${redis_cpu_args[@]}"); fi
  rm -rf "$dir"; mkdir -p "$dir"
  "$@" "${server_args[@]}" "${aof_args[@]}" "${extra[@]}" --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --enable-debug-command yes > "/tmp/bgrewriteaof-$name.log" 2>&1 &
  local pid=$!
  wait_up "$port"
  local p0=$(date +%s.%N)
  python3 "$here/tools/gen_types.py" strings "$(echo "scale=6; $keys / 10000000" | bc)" \
    | redis-cli -p "$port" --pipe > /dev/null
  redis-benchmark -p "$port" -q -c 50 -P 16 -n $((hashes * 10)) -r "$hashes" \
    HSET hash:__rand_int__ f:__rand_int__ v > /dev/null 2>&1
  echo "== $name: $(redis-cli -p "$port" dbsize) keys, RSS $(mb "$(rss "$port")") MB," \
    "preloaded in $(echo "scale=1; ($(date +%s.%N) - $p0) / 1" | bc) s; AOF: $(aof_files "$dir")"
  redis-cli -p "$port" config set latency-monitor-threshold 1 > /dev/null
  "${load[@]}" nice -n "${NICE:-0}" redis-benchmark -p "$port" -q -c 50 -P 16 -n 2000000000 -r "$keys" -t set > /dev/null 2>&1 &
  local bench=$!
  sleep "${WARMUP:-25}"
  local round
  for round in $(seq 1 "${REWRITES:-1}"); do
    [[ ${REWRITES:-1} -gt 1 ]] && echo "   -- rewrite $round of $REWRITES"
    measure_rewrite "$name" "$port" "$dir"
  done
  kill "$bench"; wait "$bench" 2>/dev/null || true
  # the AOF flushed: nothing waits to be written, then everysec's fsync has run
  for _ in $(seq 1 100); do [[ $(info_field "$port" persistence aof_buffer_length) == 0 ]] && break; sleep 0.1; done
  sleep 2
  # DEBUG DIGEST walks the whole dataset on the main thread (seconds at 10M keys, both servers)
  local d0=$(date +%s.%N) digest=$(redis-cli -p "$port" debug digest) n0=$(redis-cli -p "$port" dbsize)
  echo "   stopped: $n0 keys, DEBUG DIGEST $digest (in $(echo "scale=1; ($(date +%s.%N) - $d0) / 1" | bc) s);" \
    "AOF: $(aof_files "$dir")"
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
  # restart on its own files: time until PING answers PONG (loading answers -LOADING until then)
  local l0=$(date +%s.%N)
  [[ $name == kiln ]] && extra=()
  "$@" "${server_args[@]}" "${aof_args[@]}" "${extra[@]}" --port "$port" --bind 127.0.0.1 \
    --dir "$dir" --enable-debug-command yes > "/tmp/bgrewriteaof-$name-load.log" 2>&1 &
  pid=$!
  wait_up "$port"
  local l1=$(date +%s.%N) n=$(redis-cli -p "$port" dbsize) digest1=$(redis-cli -p "$port" debug digest)
  echo "   restart: $n keys loaded in $(echo "$l1 - $l0" | bc) s ($(echo "$n / ($l1 - $l0)" | bc) keys/s)"
  local own=$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' "/tmp/bgrewriteaof-$name-load.log")
  [[ -n $own ]] && echo "   its log: DB loaded from append only file: $own s ($(echo "$n / $own" | bc) keys/s)"
  if [[ $digest == "$digest1" && $n == "$n0" ]]; then
    echo "   restart digest equal: yes ($digest1)"
  else
    echo "   restart digest equal: NO (before $digest, $n0 keys; after $digest1, $n keys)"
  fi
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
  # the server's own log lines of warnings and errors (not the stack traces under them)
  local w
  w=$(grep -hiE '^[0-9]+:[A-Z] .*(warn|error|exception|fail|blocked)' "/tmp/bgrewriteaof-$name.log" \
    "/tmp/bgrewriteaof-$name-load.log" | cut -c1-220 | head -30 || true)
  [[ -n $w ]] && echo "   its logs' warnings and errors:" && echo "$w" | sed 's/^/     /'
  true
}

if [[ ${FLOOR:-20} != 0 ]]; then
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    taskset -c "$cpu" python3 "$here/tools/hiccup.py" "${FLOOR:-20}" > "/tmp/bgrewriteaof-floor-$cpu.txt" &
  done
  wait
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    echo "== the machine alone, CPU $cpu, ${FLOOR:-20} s of 1 ms sleeps: $(cat "/tmp/bgrewriteaof-floor-$cpu.txt")"
  done
fi
only="${ONLY:-kiln redis}"
java_opts=${JAVA_OPTS--Xms4g -Xmx4g -XX:+AlwaysPreTouch -XX:MaxGCPauseMillis=5 -XX:+UseTransparentHugePages}
echo "== Kiln's JVM flags: ${java_opts:-(none)}"
# shellcheck disable=SC2086 # the flags are words
[[ $only == *kiln* ]] && run kiln 7397 /tmp/bgrewriteaof-kiln "${JAVA:-java}" $java_opts -jar "$jar"
[[ $only == *redis* ]] && run redis 7398 /tmp/bgrewriteaof-redis redis-server
true
