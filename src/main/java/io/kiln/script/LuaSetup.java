package io.kiln.script;

/**
 * The Lua side of the scripting environment, run once per interpreter by {@link LuaEngine} with
 * the table of its Java functions: builds the {@code redis} library, replaces math.random, keeps
 * only the globals Redis 7.0 offers, makes globals and libraries read-only, arms the hook that
 * watches the clock, and returns the error handler, {@code seal} (gives a compiled script the
 * sandbox as its environment) and {@code memory}. Written for Kiln; Redis's documented
 * behaviour is the specification (texts of errors, the REPL_ and LOG_ constants).
 */
final class LuaSetup {
  private LuaSetup() {}

  static final String SOURCE = """
      local K, functionsMode = ...
      local type, tostring, error, select, pairs, ipairs = type, tostring, error, select, pairs, ipairs
      local rawset, rawget, setmetatable, getmetatable = rawset, rawget, setmetatable, getmetatable
      local floor, concat = math.floor, table.concat
      local getinfo, sethook, setfenv = debug.getinfo, debug.sethook, setfenv
      local ktick, klog, krandom = K.tick, K.log, K.random
      local RO = 'Attempt to modify a readonly table'

      -- An error becomes {err = 'CODE message', source = ..., line = ...}, the place being the
      -- script's own line: C functions and this chunk's wrappers are skipped.
      local function handler(err)
        local level = 2
        local i = getinfo(level, 'Sl')
        while i and (i.what == 'C' or i.source == '@kiln') do
          level = level + 1
          i = getinfo(level, 'Sl')
        end
        local b = type(err) == 'string' and err:byte(1)
        if b == 1 or b == 2 then
          -- raised by a Java function (redis.call): the error as is; 2: a command's error,
          -- already counted in the error stats when the command replied it
          err = {err = err:sub(2), ignore_error_stats_update = b == 2 or nil}
        elseif type(err) ~= 'table' then
          err = {err = 'ERR ' .. tostring(err)}
        end
        if i then
          err.source = i.source
          err.line = i.currentline
        end
        return err
      end

      -- An error reply as Redis builds it: '-CODE msg' or 'msg' (then the code is ERR).
      local function errtable(e)
        if e:sub(1, 1) == '-' then
          e = e:sub(2)
          if not e:find(' ', 1, true) then e = 'ERR ' .. e end
        else
          e = 'ERR ' .. e
        end
        return {err = (e:gsub('^[\\r\\n]+', ''):gsub('[\\r\\n]+$', ''))}
      end

      local redis = {}
      redis.call = K.call
      redis.pcall = K.pcall
      redis.error_reply = function(...)
        local e = ...
        if select('#', ...) ~= 1 or (type(e) ~= 'string' and type(e) ~= 'number') then
          return errtable('wrong number or type of arguments')
        end
        e = tostring(e)
        if e:sub(1, 1) ~= '-' then e = '-' .. e end
        return errtable(e)
      end
      redis.status_reply = function(...)
        local s = ...
        if select('#', ...) ~= 1 or (type(s) ~= 'string' and type(s) ~= 'number') then
          return errtable('wrong number or type of arguments')
        end
        return {ok = tostring(s)}
      end
      redis.sha1hex = function(...)
        local s = ...
        if select('#', ...) ~= 1 or (type(s) ~= 'string' and type(s) ~= 'number') then
          error('wrong number of arguments', 0)
        end
        return K.sha1hex(s)
      end
      redis.log = function(level, ...)
        if select('#', ...) == 0 then error('redis.log() requires two arguments or more.', 0) end
        if type(level) ~= 'number' then error('First argument must be a number (log level).', 0) end
        if level < 0 or level > 3 then error('Invalid debug level.', 0) end
        local parts = {}
        for i = 1, select('#', ...) do
          local v = select(i, ...)
          parts[i] = (type(v) == 'string' or type(v) == 'number') and tostring(v) or ''
        end
        klog(level, unpack(parts))
      end
      redis.setresp = function(...)
        local v = ...
        if select('#', ...) ~= 1 then error('redis.setresp() requires one argument.', 0) end
        if v ~= 2 and v ~= 3 then error('RESP version must be 2 or 3.', 0) end
        K.setresp(v)
      end
      redis.set_repl = function(...)
        local flags = ...
        if select('#', ...) ~= 1 then error('redis.set_repl() requires one argument.', 0) end
        if type(flags) ~= 'number' or flags < 0 or flags > 3 or flags ~= floor(flags) then
          error('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', 0)
        end
        K.setrepl(flags)
      end
      redis.replicate_commands = function() return true end
      redis.breakpoint = function() return false end
      redis.debug = function() end
      redis.acl_check_cmd = K.aclcheck
      redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
      redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL =
          0, 1, 2, 2, 3
      redis.REDIS_VERSION = '%s'
      redis.REDIS_VERSION_NUM = %d
      _G.redis = redis

      -- math.random and randomseed on Redis's generator (Lua 5.1's argument rules)
      math.random = function(m, n)
        local r = krandom()
        if m == nil then return r end
        m = floor(m)
        if n == nil then
          if m < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
          return floor(r * m) + 1
        end
        n = floor(n)
        if m > n then error("bad argument #2 to 'random' (interval is empty)", 2) end
        return floor(r * (n - m + 1)) + m
      end
      math.randomseed = function(s) K.randomseed(s) end

      -- precompiled bytecode is refused (it can crash the interpreter)
      local loadstring0 = loadstring
      local env
      loadstring = function(s, name)
        if type(s) == 'string' and s:byte(1) == 27 then
          return nil, 'binary chunks are not allowed'
        end
        local f, e = loadstring0(s, name)
        if f then setfenv(f, env) end
        return f, e
      end

      -- only Redis's globals
      local keep = {}
      for _, n in ipairs({'_G', '_VERSION', 'assert', 'bit', 'cjson', 'cmsgpack',
          'collectgarbage', 'coroutine', 'error', 'gcinfo', 'getmetatable', 'ipairs', 'load',
          'loadstring', 'math', 'next', 'pairs', 'pcall', 'rawequal', 'rawget', 'rawset', 'redis',
          'select', 'setmetatable', 'string', 'struct', 'table', 'tonumber', 'tostring', 'type',
          'unpack', 'xpcall'}) do keep[n] = true end
      for k in pairs(_G) do if not keep[k] then _G[k] = nil end end
      rawset(_G, '__redis__err__handler', handler)

      -- read-only libraries and globals: scripts see proxies that refuse writes
      local protected, real = {}, setmetatable({}, {__mode = 'k'})
      local function readonly(t)
        local p = setmetatable({}, {__index = t, __newindex = function() error(RO, 2) end,
          __metatable = false})
        protected[p] = true
        real[p] = t
        return p
      end
      for _, n in ipairs({'redis', 'string', 'math', 'table', 'coroutine', 'bit', 'cjson',
          'cmsgpack', 'struct'}) do
        if rawget(_G, n) then rawset(_G, n, readonly(rawget(_G, n))) end
      end
      local globals = _G
      setmetatable(globals, {__index = function(_, k)
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end})
      -- getmetatable(_G) gives a read-only empty table: changing it is refused, as in Redis
      local envMeta = {__index = globals, __newindex = function() error(RO, 2) end,
        __metatable = readonly({})}
      env = setmetatable({}, envMeta)
      protected[env] = true
      protected[globals] = true
      real[env] = globals
      -- iterating a proxy iterates what it stands for
      -- (luajava keeps the last Java exception in the global __jthrowable__: never shown)
      local next0, ipairs0 = next, ipairs
      local function nextOf(t, k)
        local k2, v = next0(t, k)
        if k2 == '__jthrowable__' and t == globals then return next0(t, k2) end
        return k2, v
      end
      rawset(globals, 'next', function(t, k) return nextOf(real[t] or t, k) end)
      rawset(globals, 'pairs', function(t) return nextOf, real[t] or t, nil end)
      rawset(globals, 'ipairs', function(t) return ipairs0(real[t] or t) end)
      rawset(globals, '_G', env)
      -- pcall gives an error raised as an error table (or from Java) as its message, as
      -- Redis's pcall does (local ok, e = pcall(redis.call, ...): e is 'ERR ...')
      do
        local pcall = pcall
        local function result(ok, ...)
          if ok then return ok, ... end
          local e = ...
          if type(e) == 'string' and (e:byte(1) == 1 or e:byte(1) == 2) then
            return false, e:sub(2)
          end
          if type(e) == 'table' then
            local m = e.err
            if type(m) == 'string' or type(m) == 'number' then return false, m end
          end
          return false, ...
        end
        rawset(globals, 'pcall', function(...) return result(pcall(...)) end)
      end
      local rawset0, setmetatable0 = rawset, setmetatable
      rawset(globals, 'rawset', function(t, k, v)
        if protected[t] then error(RO, 0) end
        return rawset0(t, k, v)
      end)
      rawset(globals, 'setmetatable', function(t, m)
        if protected[t] then error(RO, 0) end
        return setmetatable0(t, m)
      end)

      -- the clock and SCRIPT KILL, every few thousand instructions; once killed, on every line
      -- (a pcall in a loop cannot swallow it), until arm() at the next script
      local hook
      hook = function()
        local e = ktick()
        if e then
          sethook(hook, 'l', 0)
          error(e, 0)
        end
      end
      local function arm() sethook(hook, '', %d) end
      arm()

      -- A functions interpreter (FUNCTION LOAD, FCALL): its redis library has no
      -- replicate_commands, breakpoint or debug, and a library's code runs with globals that
      -- hold only redis.register_function, redis.log, the LOG_ constants and the version (any
      -- other name is a nonexistent global); the functions it registers see the usual globals
      -- when they run, as they share the library's environment, whose lookup is switched.
      -- (register_function is Java's, a C function as Redis's: an error it raises is placed on
      -- the caller's line even when it was tail-called.)
      local beginLoad, endLoad
      if functionsMode then
        local r = real[rawget(globals, 'redis')]
        r.replicate_commands, r.breakpoint, r.debug = nil, nil, nil
        rawset(globals, '__redis__err__handler', nil) -- (functions keep it in the registry)
        local api = {register_function = K.register, log = r.log, LOG_DEBUG = 0, LOG_VERBOSE = 1,
          LOG_NOTICE = 2, LOG_WARNING = 3, REDIS_VERSION = r.REDIS_VERSION,
          REDIS_VERSION_NUM = r.REDIS_VERSION_NUM}
        local apiProxy = setmetatable({}, {
          __index = function(_, k)
            local v = api[k]
            if v == nil then
              error("Script attempted to access nonexistent global variable '" .. tostring(k)
                .. "'", 2)
            end
            return v
          end,
          __newindex = function() error(RO, 2) end, __metatable = false})
        protected[apiProxy] = true
        real[apiProxy] = api
        local loadGlobals = setmetatable({redis = apiProxy}, {__index = function(_, k)
          error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
        end, __newindex = function() error(RO, 2) end, __metatable = false})
        beginLoad = function() envMeta.__index = loadGlobals end
        endLoad = function() envMeta.__index = globals end
      end

      local collect = collectgarbage
      return handler,
        function(f) setfenv(f, env) return f end,
        function(step)
          if step then collect('step', 50) end -- every 50 scripts, as Redis: no full cycles
          return floor(collect('count') * 1024)
        end,
        arm, beginLoad, endLoad
      """.formatted(LuaEngine.VERSION, LuaEngine.VERSION_NUM, LuaEngine.HOOK_INSTRUCTIONS);
}
