#!/usr/bin/env bash
# Shards on this host: Kiln with `shards 1`, Kiln with `shards S` (default 2) and redis-server
# 7.0, side by side in one run, each on its own loopback port with the same settings. Rounds
# alternate the servers; each run is measured with redis-benchmark (-c 50, random keys, SET and
# GET, -P 1 and -P 16; MSET of 10 keys; a script over 2 keys) and with the load generator (get-set
# 1:1, -P 1 and 16; MSET of 10 keys and MULTI/INCR/INCR/EXEC at -P 1, each with its keys spread
# over all slots (--hash-tags each) and with them in one slot (--hash-tags one), keys of one
# length: the cost of a unit across shards next to the same unit on one shard).
# Printed per run: requests/s, p99 (ms) and the server's CPU time per operation (us, from
# /proc/PID/stat), then the medians and the ratios shards S / shards 1 and Kiln / Redis.
#
#   load-tests/shards-benchmark.sh [S] [ROUNDS] [N]     (JAVA_OPTS for Kiln's JVM flags)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shards="${1:-2}"
rounds="${2:-3}"
n="${3:-400000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
load="$here/target/kiln-load.jar"
[[ -f "$load" ]] || mvn -q -f "$here/pom.xml" package -DskipTests
dir="$(mktemp -d)"
declare -A pid port
port[k1]=7411; port[kS]=7412; port[redis]=7413
common=(--bind 127.0.0.1 --save "" --appendonly no)
KILN_NO_RELAUNCH=1 java ${JAVA_OPTS:-} -jar "$jar" --port 7411 "${common[@]}" --dir "$dir" \
  --shards 1 > /tmp/shards-k1.log 2>&1 &
pid[k1]=$!
KILN_NO_RELAUNCH=1 java ${JAVA_OPTS:-} -jar "$jar" --port 7412 "${common[@]}" --dir "$dir" \
  --shards "$shards" > /tmp/shards-kS.log 2>&1 &
pid[kS]=$!
redis-server --port 7413 "${common[@]}" --dir "$dir" > /tmp/shards-redis.log 2>&1 &
pid[redis]=$!
trap 'kill ${pid[k1]} ${pid[kS]} ${pid[redis]} 2>/dev/null || true; rm -rf "$dir"' EXIT
for s in k1 kS redis; do
  for _ in $(seq 1 100); do redis-cli -p "${port[$s]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
sleep 6 # Kiln rehearses its snapshot code at its first quiet second: not during the runs
for s in k1 kS; do # JIT warm-up
  redis-benchmark -p "${port[$s]}" -q -c 50 -n 200000 -r 100000 -P 16 -t set,get >/dev/null 2>&1
  redis-benchmark -p "${port[$s]}" -q -c 50 -n 100000 -r 100000 -t set,get,mset >/dev/null 2>&1
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# context switches of the server's threads (each one a sleep and a wake-up of a thread); a thread
# that ends within a measurement drops out of it (a JVM's compiler and pool threads come and go)
switches() {
  { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '/ctxt_switches/ {s += $2} END {print s + 0}'
}
tick_us=$((1000000 / $(getconf CLK_TCK)))
out="$dir/rows"
: > "$out"
# measure SERVER TOOL CASE -> one row: server case rps p99 cpu_us_per_op switches_per_op
measure() {
  local s="$1" tool="$2" case="$3" p before after sw0 sw1 line rps p99 ops
  p="${port[$s]}"
  before="$(cpu "${pid[$s]}")"
  sw0="$(switches "${pid[$s]}")"
  if [[ "$tool" == bench ]]; then
    local test="${case%%-*}" pipe="${case##*-P}" what
    if [[ "$test" == EVAL2 ]]; then # a 2-key atomic unit: a script over keys of two slots
      what=(EVAL "redis.call('INCR', KEYS[1]) return redis.call('INCR', KEYS[2])" 2
        "a:__rand_int__" "b:__rand_int__")
    else
      what=(-t "$test")
    fi
    line="$(redis-benchmark -p "$p" -c 50 -n "$n" -r 100000 -P "$pipe" --csv "${what[@]}" \
      2>/dev/null | tail -1 | python3 -c 'import csv, sys; r = next(csv.reader(sys.stdin)); print(r[1], r[6])')"
    rps="${line% *}"; p99="${line#* }"; ops="$n"
  else
    local pipe="${case##*-P}" work="${case%%-*}" extra=()
    case "$work" in
      getset) extra=(--workload get-set --ratio 1:1) ;;
      mset|multi) extra=(--workload "$work" --hash-tags each) ;;
      mset1slot|multi1slot) extra=(--workload "${work%1slot}" --hash-tags one) ;;
    esac
    line="$(java -jar "$load" run --port "$p" --pipeline "$pipe" "${extra[@]}" --warmup 1 \
      --duration 5 --quiet 2>&1 | grep '^ops/s')"
    rps="$(echo "$line" | awk '{gsub(",","",$2); print $2}')"
    p99="$(echo "$line" | sed -E 's/.*p99 ([0-9.]+) ms.*/\1/')"
    ops="$(echo "$line" | awk '{gsub(",","",$4); print $4}')"
  fi
  after="$(cpu "${pid[$s]}")"
  sw1="$(switches "${pid[$s]}")"
  local per; per="$(awk -v t=$(( (after - before) * tick_us )) -v o="$ops" 'BEGIN {printf "%.2f", t / o}')"
  local swper; swper="$(awk -v d=$(( sw1 - sw0 )) -v o="$ops" 'BEGIN {printf "%.3f", d / o}')"
  echo "$s $tool:$case $rps $p99 $per $swper" | tee -a "$out"
}
for r in $(seq 1 "$rounds"); do
  echo "== round $r (server case requests/s p99_ms cpu_us/op switches/op)"
  for c in SET-P1 GET-P1 SET-P16 GET-P16 MSET-P1 EVAL2-P1; do
    for s in k1 kS redis; do measure "$s" bench "$c"; done
  done
  for c in getset-P1 getset-P16 mset-P1 mset1slot-P1 multi-P1 multi1slot-P1; do
    for s in k1 kS redis; do measure "$s" load "$c"; done
  done
done
echo "== medians (shards 1 | shards $shards | redis) and ratios"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in $(awk '{print $2}' "$out" | sort -u); do
  row=""
  for s in k1 kS redis; do
    for f in 3 4 5 6; do
      v="$(awk -v s="$s" -v c="$c" -v f="$f" '$1 == s && $2 == c {print $f}' "$out" | median)"
      row="$row $v"
    done
  done
  echo "$c$row" | awk '{printf "%-18s rps %7.0f | %7.0f | %7.0f  p99 %6.3f | %6.3f | %6.3f  cpu/op %5.2f | %5.2f | %5.2f us  switches/op %.3f | %.3f | %.3f  S/1: rps %.2f cpu %.2f  S/redis %.2f\n",
    $1, $2, $6, $10, $3, $7, $11, $4, $8, $12, $5, $9, $13, $6/$2, $8/$4, $6/$10}'
done
