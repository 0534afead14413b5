#!/usr/bin/env bash
# Regenerates redis-7.0-all-types.rdb and redis-7.0-all-types.txt (the description of its
# content that RdbFixtureTest compares against) with a real redis-server 7.0.
# Usage: bash src/test/resources/rdb/make-fixtures.sh   (PORT=7460 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-7460}
tmp=$(mktemp -d)
cli() { redis-cli -p "$port" "$@"; }
cleanup() { cli shutdown nosave >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

redis-server --version | grep -q 'v=7\.0\.' || { echo "needs redis-server 7.0" >&2; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --daemonize yes --logfile "$tmp/redis.log" --rdbcompression yes --rdbchecksum yes \
  --enable-debug-command yes --list-compress-depth 1
for _ in $(seq 1 50); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done

# Far-future absolute expires so the description holds exact values.
cli EVAL "
local t = 4102444800000
redis.call('SELECT', 0)
redis.call('SET', 'str-int8', '-12')
redis.call('SET', 'str-int16', '3000')
redis.call('SET', 'str-int32', '2000000000')
redis.call('SET', 'str-bigint', '12345678901234')
redis.call('SET', 'str-raw', 'hello world')
redis.call('SET', 'str-lzf', string.rep('abcdefgh', 50))
redis.call('SET', 'str-empty', '')
redis.call('PEXPIREAT', 'str-raw', t + 1)
redis.call('RPUSH', 'list-small', 'a', '12', '-300', 'b', '70000')
redis.call('PEXPIREAT', 'list-small', t + 2)
for i = 1, 3000 do redis.call('RPUSH', 'list-big', 'item:' .. i) end
redis.call('SADD', 'set-intset', '1', '2', '3', '-5', '100000')
redis.call('SADD', 'set-small-strings', 'a', 'b', 'c')
for i = 1, 600 do redis.call('SADD', 'set-big', 'm:' .. i) end
for i = 1, 600 do redis.call('SADD', 'set-big-ints', tostring(i * 3)) end
redis.call('HSET', 'hash-small', 'f1', 'v1', 'f2', '2', 'f3', '-4000')
for i = 1, 600 do redis.call('HSET', 'hash-big', 'field:' .. i, 'value:' .. i) end
redis.call('HSET', 'hash-longvalue', 'f', string.rep('L', 100))
redis.call('PEXPIREAT', 'hash-big', t + 3)
redis.call('ZADD', 'zset-small', '1', 'a', '2.5', 'b', '-3', 'c', '0.1', 'd', 'inf', 'e')
for i = 1, 300 do redis.call('ZADD', 'zset-big', tostring(i / 7), 'member:' .. i) end
redis.call('PEXPIREAT', 'zset-big', t + 4)
redis.call('SELECT', 1)
redis.call('SET', 'db1-str', 'in db one')
redis.call('ZADD', 'db1-zset', '5', 'five', '6', 'six')
redis.call('HSET', 'db1-hash', 'a', '1')
redis.call('PEXPIREAT', 'db1-hash', t + 5)
return 'ok'
" 0 >/dev/null
# A quicklist with a plain node (elements over the packed threshold).
cli DEBUG QUICKLIST-PACKED-THRESHOLD 100 >/dev/null
cli RPUSH list-plain x "$(printf 'P%.0s' $(seq 1 200))" y >/dev/null
cli SAVE >/dev/null
cp "$tmp/dump.rdb" "$here/redis-7.0-all-types.rdb"

# Description: one header line per key, then one line per element ("  value",
# "  field value", "  member score").
cli --raw EVAL "
local out = {}
for db = 0, 1 do
  redis.call('SELECT', db)
  local keys = redis.call('KEYS', '*')
  table.sort(keys)
  for _, k in ipairs(keys) do
    local t = redis.call('TYPE', k)['ok']
    local enc = redis.call('OBJECT', 'ENCODING', k)
    local exp = redis.call('PEXPIRETIME', k)
    local items = {}
    if t == 'string' then items = {redis.call('GET', k)}
    elseif t == 'list' then items = redis.call('LRANGE', k, 0, -1)
    elseif t == 'set' then items = redis.call('SMEMBERS', k); table.sort(items)
    elseif t == 'hash' then
      local h = redis.call('HGETALL', k)
      for i = 1, #h, 2 do items[#items + 1] = h[i] .. ' ' .. h[i + 1] end
      table.sort(items)
    elseif t == 'zset' then
      local z = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
      for i = 1, #z, 2 do items[#items + 1] = z[i] .. ' ' .. z[i + 1] end
    end
    out[#out + 1] = 'key ' .. db .. ' ' .. k .. ' ' .. t .. ' ' .. enc .. ' ' .. exp .. ' ' .. #items
    for _, it in ipairs(items) do out[#out + 1] = '  ' .. it end
  end
end
return table.concat(out, '\n')
" 0 > "$here/redis-7.0-all-types.txt"
echo "wrote $here/redis-7.0-all-types.rdb and .txt"
