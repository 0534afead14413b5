#!/usr/bin/env bash
# The AOF's crash check: writers make acknowledged writes, the server is killed with SIGKILL at a
# random moment, restarted on the same directory, and every acknowledged write must be back.
#
#   load-tests/aof-crash.sh
#   CYCLES      kill/restart cycles (default 300; 100 with POWERLOSS=1 or FSYNC=everysec)
#   FSYNC       appendfsync: always (default) or everysec
#   POWERLOSS=1 after the kill, cut appendonly.aof to the size Kiln last fsynced (the test hook
#               -Dkiln.aof.syncedOffsetFile writes it after each fsync, before acknowledging):
#               every byte not fsynced is gone, as LazyFS models a power loss. FSYNC=everysec
#               implies it (a kill alone loses nothing there: writes are acknowledged once in the
#               page cache, which outlives the process)
#   WRITERS     connections (default 8), each one command at a time: for seq = 1, 2, ...
#               SET c<cycle>:w<id>:<seq> <seq>, INCR c<cycle>:n<id>, RPUSH c<cycle>:l<id> <seq>
#   DELAY_MS    "MIN-MAX", the random delay from the writers' start to the kill (default
#               50-500; 1500-4000 with everysec, so that the writes outlive a few fsync periods)
#   MAX_LOST_S  everysec: the limit (default 2) on how long before the kill the oldest lost
#               acknowledged write was acknowledged; also printed: lost writes / the cycle's
#               rate (which overstates the window when the rate rises in the cycle: a cold JVM)
#   REWRITE=1   BGREWRITEAOF every 50 ms while the writers run, so kills land in rewrites (the
#               walk, the buffer's replay, the rename); not with POWERLOSS (the hook's offset
#               and the renamed file cannot change together)
#   KEEP=1      keep the temp dir (server logs, state files) at the end
#   JAVA, KILN_JAVA_OPTS  the server's JVM and flags
#
# After each restart the checker reads back the cycle's keys: per writer what is there must be
# the effect of one prefix of its command stream (SETs 1..s with their values, nothing after;
# the counter and the list 1..m in order consistent with that prefix), no shorter than what was
# acknowledged, no longer than what was sent; DBSIZE must hold every earlier cycle's keys too.
# The server restarted for the check is the next cycle's server, so a crash also lands on a file
# that was recovered (and, with POWERLOSS, cut) before. The directory starts afresh once the AOF
# passes RESET_MB (default 16) to keep restarts fast.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${KILN_JAR:-$here/../target/kiln.jar}"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
fsync="${FSYNC:-always}"
rewrite="${REWRITE:-0}"
powerloss="${POWERLOSS:-0}"
[[ $fsync == everysec ]] && powerloss=1
if [[ $fsync == everysec ]]; then default_cycles=100 default_delay=1500-4000
elif [[ $powerloss == 1 ]]; then default_cycles=100 default_delay=50-500
else default_cycles=300 default_delay=50-500; fi
cycles="${CYCLES:-$default_cycles}"
writers="${WRITERS:-8}"
delay="${DELAY_MS:-$default_delay}"
dmin="${delay%-*}" dmax="${delay#*-}"
max_lost_s="${MAX_LOST_S:-2}"
reset_bytes=$(( ${RESET_MB:-16} * 1048576 ))
tmp="$(mktemp -d /tmp/aof-crash.XXXXXX)"
data="$tmp/data" synced="$tmp/synced-offset" aof="$tmp/data/appendonly.aof"
port="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
server=""
writer=""
cleanup() {
  [[ -n $writer ]] && kill -9 "$writer" 2>/dev/null || true
  [[ -n $server ]] && kill -9 "$server" 2>/dev/null || true
  [[ -n ${rewriter:-} ]] && kill "$rewriter" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# PING until +PONG (a loading server answers -LOADING), with a deadline; fails if the server died
wait_up() { # log
  local deadline=$((SECONDS + 60)) line
  while ((SECONDS < deadline)); do
    kill -0 "$server" 2>/dev/null || { echo "server exited at start:" >&2; tail -20 "$1" >&2; return 1; }
    if line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'PING\r\n' >&3 && read -r -t 2 l <&3 && echo "$l") 2>/dev/null ) \
        && [[ $line == +PONG* ]]; then
      return 0
    fi
    sleep 0.02 # polling interval, not synchronization
  done
  echo "server not answering PONG after 60 s:" >&2; tail -20 "$1" >&2; return 1
}
start() { # log
  # the file as it is now is what a fresh start has on disk: the baseline until the first fsync
  echo "$(size "$aof")" > "$synced"
  "${JAVA:-java}" ${KILN_JAVA_OPTS:-} -Dkiln.aof.syncedOffsetFile="$synced" -jar "$jar" \
    --port "$port" --bind 127.0.0.1 --dir "$data" --appendonly yes --appendfsync "$fsync" \
    --save "" > "$1" 2>&1 &
  server=$!
  wait_up "$1"
}

mkdir -p "$data"
echo "aof-crash: $cycles cycles, appendfsync $fsync, power loss $([[ $powerloss == 1 ]] && echo on || echo off)," \
  "$writers writers, kill ${dmin}-${dmax} ms after the writers start, port $port, dir $tmp"
start "$tmp/server-0.log"
total_acked=0 total_lost=0 max_lost_s_seen=0 max_window=0 max_lost=0 failed=0 keys=0 torn=0 truncated=0
for cycle in $(seq 1 "$cycles"); do
  d=$((dmin + RANDOM % (dmax - dmin + 1)))
  python3 "$here/tools/aof_crash.py" write "$port" "$cycle" "$writers" "$d" "$server" \
    "$tmp/state-$cycle.json" "$synced" &
  writer=$!
  rewriter=""
  if [[ $rewrite == 1 ]]; then
    ( while kill -0 "$server" 2>/dev/null; do
        (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'BGREWRITEAOF\r\n' >&3 \
          && read -r -t 2 l <&3) 2>/dev/null || true
        sleep 0.05 # the pace of the rewrites, not synchronization
      done ) &
    rewriter=$!
  fi
  # (stderr: bash's own "Killed" line for the server, reaped here)
  wait "$writer" 2>/dev/null || { echo "cycle $cycle: the writers failed" >&2; failed=1; break; }
  writer=""
  [[ -n $rewriter ]] && { wait "$rewriter" 2>/dev/null || true; }
  wait "$server" 2>/dev/null || true
  server=""
  fsize=$(size "$aof") off=$(cat "$synced" 2>/dev/null || true) note=""
  if [[ -z $off ]]; then
    # killed inside the hook's write (truncate, then write): under always the writer thread was
    # between the fsync of the whole file and the acks, so the file is the synced size; under
    # everysec take what the writers read just before the kill (counts more as lost, not less)
    torn=$((torn + 1)) note=" offset-file-torn"
    if [[ $fsync == always ]]; then off=$fsize
    else off=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["synced_before_kill"] or 0)' "$tmp/state-$cycle.json"); fi
  fi
  if ((off > fsize)); then
    echo "cycle $cycle: synced offset $off beyond the file's $fsize bytes" >&2; failed=1; note+=" OFFSET>SIZE"
  fi
  if [[ $powerloss == 1 ]] && ((off < fsize)); then
    truncate -s "$off" "$aof"
    truncated=$((truncated + 1))
  fi
  log="$tmp/server-$cycle.log"
  t0=$(date +%s%N)
  if ! start "$log"; then
    echo "cycle $cycle: RESTART FAILED (file $fsize bytes, synced $off)" >&2; failed=1; break
  fi
  up_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  result=$(python3 "$here/tools/aof_crash.py" verify "$port" "$cycle" "$tmp/state-$cycle.json")
  read -r ok acked lost lost_s rate ckeys window < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(int(r["consistent"]), r["acked"], r["lost"], r["lost_seconds"], r["rate"], r["keys"],
      r["lost_window"])' "$result")
  dbsize=$( (exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'DBSIZE\r\n' >&3; read -r -t 5 l <&3; echo "${l:1}") | tr -d '\r')
  keys=$((keys + ckeys))
  if ((dbsize != keys)); then
    echo "cycle $cycle: DBSIZE $dbsize, expected $keys (earlier cycles' keys changed)" >&2; ok=0
  fi
  total_acked=$((total_acked + acked)) total_lost=$((total_lost + lost))
  ((lost > max_lost)) && max_lost=$lost
  if [[ $fsync == everysec ]]; then
    max_lost_s_seen=$(python3 -c "print(max($max_lost_s_seen, $lost_s))")
    max_window=$(python3 -c "print(max($max_window, $window))")
    python3 -c "import sys; sys.exit(0 if $window < $max_lost_s else 1)" || { note+=" LOST>${max_lost_s}s"; ok=0; }
  elif ((lost > 0)); then ok=0; fi
  loaded=$(grep -o 'DB loaded from append only file[^$]*\|Truncating the AOF[^!]*' "$log" | tr '\n' ' ' || true)
  printf 'cycle %d: kill at %d ms, acked %d (%.0f/s), lost %d%s, file %d B, synced %d B%s, keys %d, restart %d ms%s%s\n' \
    "$cycle" "$d" "$acked" "$rate" "$lost" "$([[ $fsync == everysec ]] && echo " (${lost_s} s at the cycle's rate, oldest acked ${window} s before the kill)")" \
    "$fsize" "$off" "$([[ $powerloss == 1 ]] && ((off < fsize)) && echo " (cut $((fsize - off)) B)")" \
    "$dbsize" "$up_ms" "$note" "$( ((ok)) || echo " FAILED: $result | $loaded")"
  ((ok)) || failed=1
  if (($(size "$aof") > reset_bytes)); then # a fresh directory keeps restarts fast
    kill -9 "$server"; { wait "$server"; } 2>/dev/null || true; server=""
    rm -rf "$data"; mkdir -p "$data"; keys=0
    start "$tmp/server-$cycle-fresh.log"
  fi
done
summary="aof-crash summary: $cycle cycles, appendfsync $fsync, power loss $powerloss, acknowledged writes $total_acked, lost $total_lost (max $max_lost in one cycle)"
[[ $fsync == everysec ]] && summary+=", max lost in one cycle ${max_lost_s_seen} s of writes at its rate, oldest lost write acked ${max_window} s before the kill (limit ${max_lost_s} s)"
[[ $powerloss == 1 ]] && summary+=", file cut in $truncated cycles"
((torn)) && summary+=", offset file torn in $torn cycles"
if [[ $rewrite == 1 ]]; then
  done_rw=$(cat "$tmp"/server-*.log 2>/dev/null | grep -c 'Background AOF rewrite finished successfully' || true)
  started_rw=$(cat "$tmp"/server-*.log 2>/dev/null | grep -c 'Background append only file rewriting started' || true)
  summary+=", rewrites started $started_rw, finished $done_rw (the others cut by a kill)"
fi
echo "$summary, $( ((failed)) && echo FAILED || echo OK)"
((failed == 0))
