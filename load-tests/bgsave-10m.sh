#!/usr/bin/env bash
# The RDB issue's measurement, Kiln and redis-server 7.0 side by side: KEYS string keys (SET
# key:%012d, redis-benchmark's key format, through redis-cli --pipe) plus HASHES small hashes
# (HSET over random keys), then redis-benchmark overwrites those keys at full speed while BGSAVE
# runs; a probe PINGs every 10 ms all along. Prints the save
# time, the writes served during it, the longest PING before and during the save, RSS before and
# at its peak during the save, then restarts the server on the file and times the load.
#
#   load-tests/bgsave-10m.sh [KEYS] [HASHES]
#   JAVA / JAVA_OPTS select Kiln's JVM and flags (default: a fixed, pre-touched 4 GB G1 heap with
#   a 5 ms pause goal, so that RSS does not follow the collector's sizing, on transparent huge
#   pages: fewer TLB misses on random keys, see load-tests/README.md); ONLY=kiln or
#   ONLY=redis runs one side. WARMUP (default 25 s) is how long the writes run before anything
#   is measured: the JIT compiles the write path and the collector finishes with the preload.
#   Kiln's own event-loop stalls come from its latency monitor ("event-loop" in LATENCY LATEST,
#   threshold 1 ms), reset at the start of each window. SAVES=N repeats the pair of windows (no
#   save, then one BGSAVE) N times over the same writes, to see the spread of the longest pauses.
#   NICE=19 runs the writer (redis-benchmark) niced, so that on a machine with as few cores as
#   busy threads the scheduler lets the server's own threads (event loop, GC, snapshot writer)
#   run first: the probe then sees the server's pauses, not the benchmark taking its core.
#   PROBE_NICE (default -10; without root nice says so and runs it at 0) runs the PING probe ahead of everything
#   else: on two cores its own waits for a core (behind the script's redis-cli, kernel threads,
#   the JIT) reached 5 ms and were counted as the server's (perf sched, load-tests/README.md).
#   "Probe during the save" counts the PINGs answered between BGSAVE and the end of the save.
#   CPUS=split gives each server's event loop (main thread) CPU 0 to itself and its snapshot
#   the others (server_cpulist 0, bgsave_cpulist 1-N), and runs the benchmark, the probe and
#   the poll on those others too (taskset), as a latency-minded deployment would.
#   FLOOR (default 20 s; 0 skips it) first measures the machine alone: tools/hiccup.py on each
#   CPU, how late a 1 ms sleep wakes up with no server running. No server's longest PING can be
#   below that floor (on the VM of load-tests/README.md, a kernel thread made it 4-11 ms).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
keys="${1:-10000000}"
hashes="${2:-1000000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests

# the longest "event-loop" stall in LATENCY LATEST since the last LATENCY RESET (Kiln only)
stall() { redis-cli -p "$1" latency latest | awk 'f && ++n == 3 {print; exit} $0 == "event-loop" {f = 1}'; }
rss() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory_rss" {print $2}'; }
commands() { redis-cli -p "$1" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" {print $2}'; }
load=() server_args=()
if [[ ${CPUS:-} == split ]]; then
  (($(nproc) >= 2)) || { echo "CPUS=split needs two CPUs or more" >&2; exit 1; }
  others="1-$(($(nproc) - 1))"
  load=(taskset -c "$others") server_args=(--server_cpulist 0 --bgsave_cpulist "$others")
fi
# the PING probe, ahead of the other processes (PROBE_NICE above)
probe_cmd=("${load[@]}" nice -n "${PROBE_NICE:--10}" python3 "$here/tools/ping_probe.py")
wait_up() { for _ in $(seq 1 600); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return; sleep 0.1; done; }

# One round: 6 s of the probe without a save, then the probe across one BGSAVE (Kiln's stall
# monitor reset before each window). The writes keep running between rounds.
measure_save() { # name port
  local name=$1 port=$2
  # RSS moves under these writes without any save too (the heap grows until old garbage is
  # collected), so the same window without a save is measured for comparison
  local ra=$(rss "$port") ta=$(date +%s.%N) ca=$(commands "$port")
  redis-cli -p "$port" latency reset > /dev/null
  "${probe_cmd[@]}" "$port" 6 > "/tmp/bgsave-$name-before.txt"
  local rb=$(rss "$port") tb=$(date +%s.%N) sb=$(stall "$port") cb=$(commands "$port")
  echo "   probe under full-speed SETs, no save (6 s): $(head -1 "/tmp/bgsave-$name-before.txt")"
  [[ $name == kiln ]] && echo "   longest event-loop stall, no save: ${sb:-0} ms"
  echo "   RSS without a save: $((ra / 1048576)) -> $((rb / 1048576)) MB in" \
    "$(echo "scale=1; ($tb - $ta) / 1" | bc) s"
  echo "   writes served without a save: $(echo "($cb - $ca) / ($tb - $ta)" | bc)/s"
  "${probe_cmd[@]}" "$port" 3600 "/tmp/bgsave-$name-samples.txt" > "/tmp/bgsave-$name-during.txt" &
  local probe=$!
  local rss0=$(rss "$port")
  sleep 1 # the probe is connected and PINGing before BGSAVE: a fork's pause shows in its figures
  # LATENCY RESET, BGSAVE, then INFO every 0.2 s over one connection until rdb_bgsave_in_progress:0
  local secs peak served t0 t1
  read -r secs peak served t0 t1 < <("${load[@]}" python3 "$here/tools/save_poll.py" "$port")
  local sd=$(stall "$port")
  kill "$probe"; wait "$probe" 2>/dev/null || true
  # the PINGs answered between BGSAVE and the poll that saw it over (not the second before it)
  python3 "$here/tools/window_stats.py" "/tmp/bgsave-$name-samples.txt" "$t0" "$t1" \
    > "/tmp/bgsave-$name-window.txt"
  echo "   BGSAVE under full-speed SETs: $secs s," \
    "$(redis-cli -p "$port" info persistence | tr -d '\r' | grep rdb_last_bgsave_status)," \
    "latest_fork_usec $(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '$1=="latest_fork_usec"{print $2}')"
  echo "   writes served during the save: $served ($(echo "$served / $secs" | bc)/s)"
  echo "   probe during the save: $(head -1 "/tmp/bgsave-$name-window.txt")"
  echo "   its five longest (ms@time): $(tail -1 "/tmp/bgsave-$name-window.txt")"
  echo "   probe from 1 s before the save to its end: $(head -1 "/tmp/bgsave-$name-during.txt")"
  [[ $name == kiln ]] && echo "   longest event-loop stall during the save: ${sd:-0} ms"
  echo "   RSS at the start $((rss0 / 1048576)) MB, peak during the save $((peak / 1048576)) MB" \
    "($(echo "scale=1; 100 * ($peak - $rss0) / $rss0" | bc)%)"
}

run() { # name port dir start-command...
  local name=$1 port=$2 dir=$3; shift 3
  rm -rf "$dir"; mkdir -p "$dir"
  "$@" "${server_args[@]}" --port "$port" --bind 127.0.0.1 --save "" --dir "$dir" --enable-debug-command yes \
    > "/tmp/bgsave-$name.log" 2>&1 &
  local pid=$!
  wait_up "$port"
  # the keys redis-benchmark -r "$keys" writes below, so that its SETs overwrite and the dataset
  # keeps its size: RSS growth during the save is then the snapshot's, not new keys'
  python3 "$here/tools/gen_types.py" strings "$(echo "scale=6; $keys / 10000000" | bc)" \
    | redis-cli -p "$port" --pipe > /dev/null
  # about ten fields each: hash:<n> with random field names
  redis-benchmark -p "$port" -q -c 50 -P 16 -n $((hashes * 10)) -r "$hashes" \
    HSET hash:__rand_int__ f:__rand_int__ v > /dev/null 2>&1
  echo "== $name: $(redis-cli -p "$port" dbsize) keys, RSS $(( $(rss "$port") / 1048576 )) MB"
  redis-cli -p "$port" config set latency-monitor-threshold 1 > /dev/null
  "${load[@]}" nice -n "${NICE:-0}" redis-benchmark -p "$port" -q -c 50 -P 16 -n 200000000 -r "$keys" -t set > /dev/null 2>&1 &
  local bench=$!
  # warm-up: the JIT compiles the write path and the collector digests the preload's last writes
  sleep "${WARMUP:-25}"
  local round
  for round in $(seq 1 "${SAVES:-1}"); do
    [[ ${SAVES:-1} -gt 1 ]] && echo "   -- save $round of $SAVES"
    measure_save "$name" "$port"
  done
  kill "$bench"; wait "$bench" 2>/dev/null || true
  echo "   file: $(( $(stat -c %s "$dir/dump.rdb") / 1048576 )) MB"
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
  # restart on the file: time until PING answers PONG (loading answers -LOADING until then)
  local l0=$(date +%s.%N)
  "$@" "${server_args[@]}" --port "$port" --bind 127.0.0.1 --save "" --dir "$dir" > "/tmp/bgsave-$name-load.log" 2>&1 &
  pid=$!
  wait_up "$port"
  local l1=$(date +%s.%N) n=$(redis-cli -p "$port" dbsize)
  echo "   restart: $n keys loaded in $(echo "$l1 - $l0" | bc) s ($(echo "$n / ($l1 - $l0)" | bc) keys/s)"
  # the server's own count, from reading the file to the last key in place (without the
  # process's start: the JVM's, with AlwaysPreTouch, first touches its whole heap)
  local own=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "/tmp/bgsave-$name-load.log")
  [[ -n $own ]] && echo "   its log: DB loaded from disk: $own s ($(echo "$n / $own" | bc) keys/s)"
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || kill "$pid"
  wait "$pid" 2>/dev/null || true
}

if [[ ${FLOOR:-20} != 0 ]]; then
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    taskset -c "$cpu" python3 "$here/tools/hiccup.py" "${FLOOR:-20}" > "/tmp/bgsave-floor-$cpu.txt" &
  done
  wait
  for cpu in $(seq 0 $(($(nproc) - 1))); do
    echo "== the machine alone, CPU $cpu, ${FLOOR:-20} s of 1 ms sleeps: $(cat "/tmp/bgsave-floor-$cpu.txt")"
  done
fi
only="${ONLY:-kiln redis}"
[[ $only == *kiln* ]] && run kiln 7397 /tmp/bgsave-kiln "${JAVA:-java}" \
  ${JAVA_OPTS:--Xms4g -Xmx4g -XX:+AlwaysPreTouch -XX:MaxGCPauseMillis=5 -XX:+UseTransparentHugePages} \
  -jar "$jar"
[[ $only == *redis* ]] && run redis 7398 /tmp/bgsave-redis redis-server
true
