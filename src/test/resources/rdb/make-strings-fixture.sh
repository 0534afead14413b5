#!/usr/bin/env bash
# Regenerates redis-7.0-strings.rdb (strings only, which Kiln can load today) with a real
# redis-server 7.0. RdbLoadTest checks its content by the same rules as below:
#   db 0: key:1 .. key:1000
#     value: i % 4 == 0 -> the integer i*7 ; 1 -> "value:i" ; 2 -> "x" repeated (i % 97 + 20)
#            times (LZF compressed) ; 3 -> "b:i:" followed by bytes 0x00 0xff
#     TTL:   i % 5 == 0 -> PEXPIREAT 4102444800000 + i (far future)
#   db 0: gone:1 .. gone:50, saved with a 1 ms TTL after it passed (expired at load)
#   db 3: other:1 .. other:10 = "db3:i"
# Usage: bash src/test/resources/rdb/make-strings-fixture.sh   (PORT=7491 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-7491}
tmp=$(mktemp -d)
cli() { redis-cli -p "$port" "$@"; }
cleanup() { cli shutdown nosave >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

redis-server --version | grep -q 'v=7\.0\.' || { echo "needs redis-server 7.0" >&2; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --daemonize yes --logfile "$tmp/redis.log" --rdbcompression yes --rdbchecksum yes \
  --enable-debug-command yes
for _ in $(seq 1 50); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done

cli DEBUG SET-ACTIVE-EXPIRE 0 >/dev/null
cli EVAL "
redis.call('SELECT', 0)
for i = 1, 1000 do
  local k = 'key:' .. i
  local m = i % 4
  if m == 0 then redis.call('SET', k, tostring(i * 7))
  elseif m == 1 then redis.call('SET', k, 'value:' .. i)
  elseif m == 2 then redis.call('SET', k, string.rep('x', i % 97 + 20))
  else redis.call('SET', k, 'b:' .. i .. ':' .. string.char(0, 255)) end
  if i % 5 == 0 then redis.call('PEXPIREAT', k, 4102444800000 + i) end
end
for i = 1, 50 do redis.call('SET', 'gone:' .. i, 'bye', 'PX', 1) end
redis.call('SELECT', 3)
for i = 1, 10 do redis.call('SET', 'other:' .. i, 'db3:' .. i) end
return 'ok'
" 0 >/dev/null
sleep 0.05
cli SAVE >/dev/null
cp "$tmp/dump.rdb" "$here/redis-7.0-strings.rdb"
redis-check-rdb "$here/redis-7.0-strings.rdb" | tail -4
