package io.kiln.resp;

/**
 * The catalogue of error replies, with Redis 7.0's exact text (without the leading '-').
 * Constants only; any thread.
 *
 * <p>The error replies commands and the server write come from here; not from here are the texts
 * inside Lua source (script.LuaSetup), the bundled Lua libraries' own errors (cjson, cmsgpack,
 * struct) and the reasons config gives for a refused value (config.Values, Directives), which end
 * a CONFIG SET error and a startup error alike. A text with a variable part is a format
 * string of "%s" conversions for {@link String#format} (each argument prints as string
 * concatenation would print it), or a prefix its caller completes (said where so). A "reason" is
 * a text without its error code: its caller puts one in front ({@link #ERR_PREFIX}, mostly) or
 * embeds it in a larger error. In {@code io.kiln.resp}, the leaf package, so that every layer
 * (the protocol decoder, config, scripting, rdb) may use it.
 */
public final class Errors {
  private Errors() {}

  // ---- generic: parsing arguments, ranges, commands and subcommands ----

  /** The code in front of a reason that has none of its own. */
  public static final String ERR_PREFIX = "ERR ";
  public static final String SYNTAX = "ERR syntax error";
  public static final String WRONGTYPE =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  public static final String NOT_INTEGER = "ERR value is not an integer or out of range";
  public static final String NOT_FLOAT = "ERR value is not a valid float";
  public static final String OVERFLOW = "ERR increment or decrement would overflow";
  public static final String NAN_OR_INF = "ERR increment would produce NaN or Infinity";
  public static final String VALUE_OUT_OF_RANGE = "ERR value is out of range";
  public static final String NOT_POSITIVE = "ERR value is out of range, must be positive";
  public static final String INT_RANGE =
      "ERR value is out of range, value must between -2147483648 and 2147483647";
  public static final String LONG_RANGE = "ERR value is out of range, value must between "
      + "-9223372036854775807 and 9223372036854775807";
  public static final String ZERO_OR_ONE = "ERR value is out of range, value must between 0 and 1";
  public static final String NUMKEYS = "ERR numkeys should be greater than 0";
  public static final String NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
  public static final String NUMKEYS_TOO_MANY =
      "ERR Number of keys can't be greater than number of args";
  public static final String COUNT_POSITIVE = "ERR count should be greater than 0";
  public static final String LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
  public static final String TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
  public static final String TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range";
  public static final String TIMEOUT_NEGATIVE = "ERR timeout is negative";
  public static final String TIMEOUT_OUT_OF_RANGE = "ERR timeout is out of range";
  public static final String STRING_TOO_LONG =
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  /** Redis's addReplySubcommandSyntaxError: the subcommand, then the command in upper case. */
  public static final String SUBCOMMAND_SYNTAX =
      "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.";

  public static String unknownCommand(String name, byte[][] argv) {
    StringBuilder args = new StringBuilder();
    for (int i = 1; i < argv.length && args.length() < 128; i++) {
      String a = Numbers.ascii(argv[i]);
      args.append('\'').append(a, 0, Math.min(a.length(), 128 - args.length())).append("' ");
    }
    return "ERR unknown command '" + truncate(name, 128) + "', with args beginning with: " + args;
  }

  /** A subcommand given too many (or malformed) arguments: {@link #SUBCOMMAND_SYNTAX}. */
  public static String subcommandSyntax(String sub, String container) {
    return String.format(SUBCOMMAND_SYNTAX, truncate(sub, 128), container);
  }

  public static String unknownSubcommand(String sub, String container) {
    return "ERR unknown subcommand '" + truncate(sub, 128) + "'. Try " + container + " HELP.";
  }

  public static String wrongArgs(String fullName) {
    return "ERR wrong number of arguments for '" + fullName + "' command";
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  // ---- protocol: the request decoder ----

  public static final String PROTOCOL_MBULK_COUNT_TOO_BIG =
      "ERR Protocol error: too big mbulk count string";
  public static final String PROTOCOL_INVALID_MBULK =
      "ERR Protocol error: invalid multibulk length";
  public static final String PROTOCOL_UNAUTH_MBULK =
      "ERR Protocol error: unauthenticated multibulk length";
  public static final String PROTOCOL_BULK_COUNT_TOO_BIG =
      "ERR Protocol error: too big bulk count string";
  /** The byte found where '$' should be. */
  public static final String PROTOCOL_EXPECTED_DOLLAR =
      "ERR Protocol error: expected '$', got '%s'";
  public static final String PROTOCOL_INVALID_BULK = "ERR Protocol error: invalid bulk length";
  public static final String PROTOCOL_UNAUTH_BULK =
      "ERR Protocol error: unauthenticated bulk length";
  public static final String PROTOCOL_INLINE_TOO_BIG = "ERR Protocol error: too big inline request";
  public static final String PROTOCOL_UNBALANCED_QUOTES =
      "ERR Protocol error: unbalanced quotes in request";

  // ---- connection: AUTH, HELLO, SELECT, accepting clients ----

  public static final String NOAUTH = "NOAUTH Authentication required.";
  public static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";
  public static final String AUTH_WITHOUT_PASSWORD = "ERR AUTH <password> called without any "
      + "password configured for the default user. Are you sure your configuration is correct?";
  public static final String DB_OUT_OF_RANGE = "ERR DB index is out of range";
  public static final String HELLO_PROTOCOL_NOT_INTEGER =
      "ERR Protocol version is not an integer or out of range";
  public static final String NOPROTO = "NOPROTO unsupported protocol version";
  /** The option HELLO did not understand. */
  public static final String HELLO_SYNTAX = "ERR Syntax error in HELLO option '%s'";
  public static final String HELLO_NOAUTH = "NOAUTH HELLO must be called with the client already "
      + "authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
      + "authenticate the client and select the RESP protocol version at the same time";
  public static final String MAX_CLIENTS = "ERR max number of clients reached";
  /** Redis 7.0's reply to a non-loopback client while protected mode guards a passwordless server. */
  public static final String PROTECTED_MODE = "DENIED Redis is running in protected mode because "
      + "protected mode is enabled and no password is set for the default user. In this mode "
      + "connections are only accepted from the loopback interface. If you want to connect from "
      + "external computers to Redis you may adopt one of the following solutions: 1) Just "
      + "disable protected mode sending the command 'CONFIG SET protected-mode no' from the "
      + "loopback interface by connecting to Redis from the same host the server is running, "
      + "however MAKE SURE Redis is not publicly accessible from internet if you do so. Use "
      + "CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the "
      + "protected mode by editing the Redis configuration file, and setting the protected mode "
      + "option to 'no', and then restarting the server. 3) If you started the server manually "
      + "just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
      + "authentication password for the default user. NOTE: You only need to do one of the "
      + "above things in order for the server to start accepting connections from the outside.";

  // ---- the gates a command passes before it runs ----

  public static final String LOADING = "LOADING Redis is loading the dataset in memory";
  public static final String MISCONF_RDB = "MISCONF Redis is configured to save RDB snapshots, "
      + "but it's currently unable to persist to disk. Commands that may modify the data set are "
      + "disabled, because this instance is configured to report errors during writes if RDB "
      + "snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
      + "details about the RDB error.";

  /** Redis's refusal of writes while the AOF cannot be written ({@code reason}: the OS error). */
  public static String misconfAof(String reason) {
    return "MISCONF Errors writing to the AOF file: " + reason;
  }

  public static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
  public static final String NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
  public static final String NOT_IN_MULTI = "ERR Command not allowed inside a transaction";
  /** Reason: a command a RESP2 subscriber may not run (its full name). */
  public static final String SUBSCRIBED_CONTEXT = "Can't execute '%s': only (P|S)SUBSCRIBE / "
      + "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
  public static final String DEBUG_NOT_ALLOWED = "ERR DEBUG command not allowed. If the "
      + "enable-debug-command option is set to \"local\", you can run it from a local connection, "
      + "otherwise you need to set this option in the configuration file, and then restart the "
      + "server.";

  // ---- transactions ----

  public static final String EXEC_ABORT =
      "EXECABORT Transaction discarded because of previous errors.";
  /** Followed by the error that refused EXEC itself (with its code). */
  public static final String EXEC_ABORT_BECAUSE = "EXECABORT Transaction discarded because of: ";
  public static final String MULTI_NESTED = "ERR MULTI calls can not be nested";
  public static final String EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI";
  public static final String DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI";
  public static final String WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed";

  // ---- keys (the generic family) ----

  public static final String NO_SUCH_KEY = "ERR no such key";
  public static final String INVALID_CURSOR = "ERR invalid cursor";
  /** The command's name as sent. */
  public static final String INVALID_EXPIRE = "ERR invalid expire time in '%s' command";
  public static final String EXPIRE_NX_AND_OTHERS =
      "ERR NX and XX, GT or LT options at the same time are not compatible";
  public static final String EXPIRE_GT_AND_LT =
      "ERR GT and LT options at the same time are not compatible";
  /** An EXPIRE option not known (as sent). */
  public static final String EXPIRE_UNSUPPORTED_OPTION = "ERR Unsupported option %s";
  public static final String LFU_NOT_SELECTED = "ERR An LFU maxmemory policy is not selected, "
      + "access frequency not tracked. Please note that when switching between policies at "
      + "runtime LRU and LFU data will take some time to adjust.";
  public static final String LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time "
      + "not tracked. Please note that when switching between policies at runtime LRU and LFU "
      + "data will take some time to adjust.";
  public static final String SAME_OBJECT = "ERR source and destination objects are the same";
  public static final String SWAPDB_FIRST_INDEX = "ERR invalid first DB index";
  public static final String SWAPDB_SECOND_INDEX = "ERR invalid second DB index";

  // ---- DUMP, RESTORE, MIGRATE ----

  public static final String BUSYKEY = "BUSYKEY Target key name already exists.";
  public static final String RESTORE_TTL = "ERR Invalid TTL value, must be >= 0";
  public static final String RESTORE_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0";
  public static final String RESTORE_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255";
  /** A payload whose footer version or checksum is wrong. */
  public static final String DUMP_PAYLOAD_WRONG = "ERR DUMP payload version or checksum are wrong";
  /** A payload whose body does not parse. */
  public static final String BAD_DATA_FORMAT = "ERR Bad data format";
  public static final String MIGRATE_KEYS_NEED_EMPTY_KEY =
      "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
  public static final String MIGRATE_IOERR_CONNECT = "IOERR error or timeout connecting to the client";
  public static final String MIGRATE_IOERR_READ = "IOERR error or timeout reading to target instance";
  public static final String MIGRATE_IOERR_WRITE = "IOERR error or timeout writing to target instance";
  public static final String MIGRATE_NOT_HERE =
      "ERR MIGRATE is not supported inside MULTI/EXEC or a script in Kiln";
  /** Followed by the target's error without its "-". */
  public static final String MIGRATE_TARGET_ERROR = "ERR Target instance replied with error: ";

  // ---- strings ----

  public static final String SETRANGE_OFFSET = "ERR offset is out of range";
  public static final String DECR_OVERFLOW = "ERR decrement would overflow";
  public static final String LCS_NOT_STRINGS = "ERR The specified keys must contain string values";
  public static final String LCS_LEN_AND_IDX =
      "ERR If you want both the length and indexes, please just use IDX.";
  public static final String LCS_TOO_BIG =
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
  public static final String LCS_ALLOCATION =
      "ERR Insufficient memory, failed allocating transient memory for LCS";

  // ---- bitmaps and BITFIELD ----

  public static final String BIT_OFFSET = "ERR bit offset is not an integer or out of range";
  public static final String BIT_VALUE = "ERR bit is not an integer or out of range";
  public static final String BITPOS_BIT = "ERR The bit argument must be 1 or 0.";
  public static final String BITOP_NOT_SOURCES =
      "ERR BITOP NOT must be called with a single source key.";
  public static final String BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified";
  public static final String BITFIELD_RO_GET_ONLY =
      "ERR BITFIELD_RO only supports the GET subcommand";
  public static final String BITFIELD_TYPE = "ERR Invalid bitfield type. Use something like i16 "
      + "u8. Note that u64 is not supported but i64 is.";

  // ---- lists ----

  public static final String OUT_OF_RANGE = "ERR index out of range";
  public static final String LPOS_RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the "
      + "first match, 2 from the second ... or use negative to start from the end of the list";
  public static final String LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
  public static final String LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
  /** DEBUG QUICKLIST-PACKED-THRESHOLD's argument. */
  public static final String PACKED_THRESHOLD =
      "ERR argument must be a memory value bigger than 1 and smaller than 4gb";

  // ---- hashes ----

  public static final String HASH_NOT_INTEGER = "ERR hash value is not an integer";
  public static final String HASH_NOT_FLOAT = "ERR hash value is not a float";
  public static final String VALUE_NAN_OR_INF = "ERR value is NaN or Infinity";

  // ---- sorted sets ----

  public static final String ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible";
  public static final String ZADD_GT_LT_NX =
      "ERR GT, LT, and/or NX options at the same time are not compatible";
  public static final String ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair";
  public static final String ZSET_NAN_SCORE = "ERR resulting score is not a number (NaN)";
  public static final String ZRANGE_LIMIT_RANK =
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
  public static final String ZRANGE_WITHSCORES_LEX =
      "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
  public static final String ZRANGE_NOT_FLOAT = "ERR min or max is not a float";
  public static final String ZRANGE_NOT_LEX = "ERR min or max not valid string range item";
  public static final String ZSET_WEIGHT = "ERR weight value is not a float";
  /** ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD with numkeys 0: the command's name. */
  public static final String ZSET_NO_INPUT_KEY = "ERR at least 1 input key is needed for '%s' command";

  // ---- SORT ----

  public static final String SORT_NOT_DOUBLE =
      "ERR One or more scores can't be converted into double";
  public static final String SORT_BY_CLUSTER = "ERR BY option of SORT denied in Cluster mode.";
  public static final String SORT_GET_CLUSTER = "ERR GET option of SORT denied in Cluster mode.";
  public static final String SORT_BY_ACL =
      "ERR BY option of SORT denied due to insufficient ACL permissions.";
  public static final String SORT_GET_ACL =
      "ERR GET option of SORT denied due to insufficient ACL permissions.";

  // ---- hyperloglog ----

  public static final String HLL_WRONGTYPE =
      "WRONGTYPE Key is not a valid HyperLogLog string value.";
  public static final String HLL_CORRUPT = "INVALIDOBJ Corrupted HLL object detected";
  public static final String HLL_NO_KEY = "ERR The specified key does not exist";
  public static final String HLL_NOT_SPARSE = "ERR HLL encoding is not sparse";
  /** The subcommand, as a C string (up to its first NUL). */
  public static final String PFDEBUG_UNKNOWN = "ERR Unknown PFDEBUG subcommand '%s'";
  /** PFSELFTEST: the register, the value expected, the value read. */
  public static final String HLL_TEST_REGISTER = "TESTFAILED Register %s should be %s but is %s";
  public static final String HLL_TEST_NOT_SPARSE = "TESTFAILED sparse encoding not used";
  public static final String HLL_TEST_DISAGREE = "TESTFAILED dense/sparse disagree";
  /** PFSELFTEST: the cardinality, the absolute error. */
  public static final String HLL_TEST_TOO_BIG_ERROR = "TESTFAILED Too big error. card:%s abserr:%s";

  // ---- geo ----

  public static final String GEO_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";
  public static final String GEO_RADIUS_NOT_NUMBER = "ERR need numeric radius";
  public static final String GEO_RADIUS_NEGATIVE = "ERR radius cannot be negative";
  public static final String GEO_WIDTH_NOT_NUMBER = "ERR need numeric width";
  public static final String GEO_HEIGHT_NOT_NUMBER = "ERR need numeric height";
  public static final String GEO_BOX_NEGATIVE = "ERR height or width cannot be negative";
  public static final String GEO_MEMBER_UNKNOWN = "ERR could not decode requested zset member";
  public static final String GEO_COUNT_NOT_POSITIVE = "ERR COUNT must be > 0";
  public static final String GEO_ANY_WITHOUT_COUNT = "ERR the ANY argument requires COUNT argument";
  public static final String GEO_STORE_WITH_REPLY_OPTIONS = "ERR STORE option in GEORADIUS is "
      + "not compatible with WITHDIST, WITHHASH and WITHCOORD options";
  public static final String GEOSEARCHSTORE_WITH_REPLY_OPTIONS = "ERR GEOSEARCHSTORE is not "
      + "compatible with WITHDIST, WITHHASH and WITHCOORD options";

  /** A longitude or latitude out of the geohash's range, as C's "%f" prints them. */
  public static String geoInvalidLonLat(double lon, double lat) {
    return "ERR invalid longitude,latitude pair " + Numbers.formatF6(lon) + ","
        + Numbers.formatF6(lat);
  }

  /** GEOSEARCH[STORE] without FROMMEMBER or FROMLONLAT ({@code command}: argv[0] as sent). */
  public static String geoNeedsFrom(String command) {
    return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + command;
  }

  /** GEOSEARCH[STORE] without BYRADIUS or BYBOX ({@code command}: argv[0] as sent). */
  public static String geoNeedsBy(String command) {
    return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + command;
  }

  // ---- pub/sub ----

  public static final String SSUBSCRIBE_DENY_BLOCKING =
      "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

  // ---- scripting: EVAL, SCRIPT, a script's commands, the Lua redis library ----

  public static final String NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
  public static final String NOTBUSY = "NOTBUSY No scripts in execution right now.";
  public static final String UNKILLABLE = "UNKILLABLE Sorry the script already executed write "
      + "commands against the dataset. You can either wait the script termination or kill the "
      + "server in a hard way using the SHUTDOWN NOSAVE command.";
  public static final String BUSY_EVAL = "BUSY Redis is busy running a script. You can only "
      + "call SCRIPT KILL or SHUTDOWN NOSAVE.";
  public static final String BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only "
      + "call FUNCTION KILL or SHUTDOWN NOSAVE.";
  public static final String SCRIPT_DEBUGGER = "ERR Kiln has no Lua debugger: SCRIPT DEBUG YES "
      + "and SYNC are not supported";
  public static final String SCRIPT_DEBUG_MODE = "ERR Use SCRIPT DEBUG YES/SYNC/NO";
  public static final String SCRIPT_FLUSH_MODE = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
  /** The shebang's first word. */
  public static final String SHEBANG_ENGINE = "ERR Unexpected engine in script shebang: %s";
  public static final String SHEBANG_OPTION = "ERR Unknown lua shebang option: %s";
  public static final String SHEBANG_FLAG = "ERR Unexpected flag in script shebang: %s";
  /** The compiler's message. */
  public static final String SCRIPT_COMPILE = "ERR Error compiling script (new function): %s";
  public static final String SCRIPT_UNKNOWN_COMMAND =
      "ERR Unknown Redis command called from script";
  public static final String SCRIPT_WRONG_ARGS =
      "ERR Wrong number of args calling Redis command from script";
  public static final String SCRIPT_COMMAND_DENIED =
      "ERR This Redis command is not allowed from script";
  public static final String SCRIPT_READONLY_WRITE =
      "ERR Write commands are not allowed from read-only scripts.";
  /** Reason, raised in the script that SCRIPT KILL or FUNCTION KILL stops. */
  public static final String SCRIPT_KILLED = "Script killed by user with SCRIPT KILL...";
  public static final String LUA_NO_ARGUMENTS =
      "ERR Please specify at least one argument for this redis lib call";
  public static final String LUA_ARGUMENT_TYPES =
      "ERR Lua redis lib command arguments must be strings or integers";
  public static final String LUA_ACL_CHECK_INVALID =
      "ERR Invalid command passed to redis.acl_check_cmd()";
  public static final String LUA_STACK_LIMIT = "ERR reached lua stack limit";
  /** A script's error that is not an error table: the script's name, the message. */
  public static final String SCRIPT_RUN_ERROR = "ERR Error running script %s, %s";
  /** The message of {@link #SCRIPT_RUN_ERROR} when the error is not even a string. */
  public static final String SCRIPT_EXECUTION_FAILURE = "execution failure";
  /** An error table without its err field. */
  public static final String SCRIPT_UNKNOWN_ERROR = "ERR unknown error";

  // ---- functions: FUNCTION, FCALL, and loading a library ----

  public static final String FUNCTION_NOT_FOUND = "ERR Function not found";
  public static final String FUNCTION_BAD_NUMKEYS = "ERR Bad number of keys provided";
  public static final String FUNCTION_WRITE_RO =
      "ERR Can not execute a script with write flag using *_ro command.";
  public static final String MISCONF_RDB_SCRIPT = "MISCONF Redis is configured to save RDB "
      + "snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. "
      + "Use 'no-writes' flag for read only scripts.";
  /** Followed by the AOF's error. */
  public static final String MISCONF_AOF_SCRIPT = "MISCONF Redis is configured to persist data to "
      + "AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use "
      + "'no-writes' flag for read only scripts. AOF error: ";
  public static final String FUNCTION_FLUSH_MODE =
      "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
  public static final String FUNCTION_RESTORE_POLICY = "ERR Wrong restore policy given, value "
      + "should be either FLUSH, APPEND or REPLACE.";
  /** FUNCTION LOAD's argument, as a C string. */
  public static final String FUNCTION_LOAD_OPTION = "ERR Unknown option given: %s";
  public static final String FUNCTION_LIBRARY_NOT_FOUND = "ERR Library not found";
  public static final String FUNCTION_LIBRARYNAME_MISSING =
      "ERR library name argument was not given";
  /** FUNCTION LIST's argument, as a C string. */
  public static final String FUNCTION_LIST_ARGUMENT = "ERR Unknown argument %s";
  // the reasons a library is not created (the reply is ERR_PREFIX + reason)
  public static final String LIBRARY_METADATA_MISSING = "Missing library metadata";
  public static final String LIBRARY_METADATA_INVALID = "Invalid library metadata";
  public static final String LIBRARY_NAME_TWICE =
      "Invalid metadata value, name argument was given multiple times";
  /** The metadata word, as a C string. */
  public static final String LIBRARY_METADATA_VALUE = "Invalid metadata value given: %s";
  public static final String LIBRARY_NAME_MISSING = "Library name was not given";
  /** Of a library's name and of a function's, as Redis 7.0 words both. */
  public static final String LIBRARY_BAD_NAME = "Library names can only contain letters, "
      + "numbers, or underscores(_) and must be at least one character long";
  public static final String LIBRARY_ENGINE_NOT_FOUND = "Engine '%s' not found";
  /** FUNCTION LOAD without REPLACE. */
  public static final String LIBRARY_EXISTS = "Library '%s' already exists";
  /** FUNCTION RESTORE APPEND (no quotes). */
  public static final String LIBRARY_EXISTS_RESTORE = "Library %s already exists";
  public static final String FUNCTION_EXISTS = "Function %s already exists";
  public static final String FUNCTION_EXISTS_IN_LIBRARY = "Function already exists in the library";
  public static final String NO_FUNCTIONS_REGISTERED = "No functions registered";
  /** Followed by the Lua compiler's message. */
  public static final String LIBRARY_COMPILE = "Error compiling function: ";
  /** Followed by the error the library's code raised. */
  public static final String LIBRARY_REGISTER = "Error registering functions: ";
  public static final String INTERNAL_ERROR = "internal error";
  public static final String LIBRARY_REGISTER_INTERNAL = LIBRARY_REGISTER + INTERNAL_ERROR;
  public static final String LIBRARY_LOAD_TIMEOUT = "FUNCTION LOAD timeout";
  public static final String RESTORE_READ_TYPE = "can not read data type";
  public static final String RESTORE_NOT_FUNCTION = "given type is not a function";
  // a FUNCTION RESTORE record that does not read: "Failed loading " + the part (the RDB reader
  // also names the part in its own diagnostics from what follows those 15 characters)
  public static final String RESTORE_LIBRARY_PAYLOAD = "Failed loading library payload";
  public static final String RESTORE_LIBRARY_NAME = "Failed loading library name";
  public static final String RESTORE_ENGINE_NAME = "Failed loading engine name";
  public static final String RESTORE_DESCRIPTION_INDICATOR =
      "Failed loading library description indicator";
  public static final String RESTORE_LIBRARY_DESCRIPTION = "Failed loading library description";
  public static final String RESTORE_LIBRARY_BLOB = "Failed loading library blob";
  // redis.register_function's reasons (the error raised is ERR_PREFIX + reason)
  public static final String REGISTER_OUTSIDE_LOAD =
      "redis.register_function can only be called on FUNCTION LOAD command";
  public static final String REGISTER_ARGUMENT_COUNT =
      "wrong number of arguments to redis.register_function";
  public static final String REGISTER_SINGLE_NOT_TABLE = "calling redis.register_function with a "
      + "single argument is only applicable to Lua table (representing named arguments).";
  public static final String REGISTER_KEY_NOT_STRING =
      "named argument key given to redis.register_function is not a string";
  public static final String REGISTER_NAME_NOT_STRING =
      "function_name argument given to redis.register_function must be a string";
  public static final String REGISTER_DESCRIPTION_NOT_STRING =
      "description argument given to redis.register_function must be a string";
  public static final String REGISTER_CALLBACK_NOT_FUNCTION =
      "callback argument given to redis.register_function must be a function";
  public static final String REGISTER_FLAGS_NOT_TABLE = "flags argument to "
      + "redis.register_function must be a table representing function flags";
  public static final String REGISTER_UNKNOWN_FLAG = "unknown flag given";
  public static final String REGISTER_UNKNOWN_ARGUMENT =
      "unknown argument given to redis.register_function";
  public static final String REGISTER_NO_NAME =
      "redis.register_function must get a function name argument";
  public static final String REGISTER_NO_CALLBACK =
      "redis.register_function must get a callback argument";
  public static final String REGISTER_FIRST_NOT_STRING =
      "first argument to redis.register_function must be a string";
  public static final String REGISTER_SECOND_NOT_FUNCTION =
      "second argument to redis.register_function must be a function";

  // ---- CLIENT: names, lists, kills, pauses, unblocking, tracking ----

  public static final String CLIENT_BAD_NAME =
      "ERR Client names cannot contain spaces, newlines or special characters.";
  /** CLIENT SETINFO: the attribute as sent. */
  public static final String CLIENT_SETINFO_OPTION = "ERR Unrecognized option '%s'";
  /** CLIENT SETINFO: the attribute as sent. */
  public static final String CLIENT_SETINFO_VALUE =
      "ERR %s cannot contain spaces, newlines or special characters.";
  public static final String NO_SUCH_CLIENT = "ERR No such client";
  public static final String CLIENT_KILL_ID = "ERR client-id should be greater than 0";
  public static final String CLIENT_LIST_ID = "ERR Invalid client ID";
  public static final String CLIENT_TYPE_UNKNOWN = "ERR Unknown client type '%s'";
  public static final String CLIENT_NO_SUCH_USER = "ERR No such user '%s'";
  public static final String PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL";
  public static final String UNBLOCK_REASON =
      "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
  /** What a client blocked in a command reads when CLIENT UNBLOCK ... ERROR wakes it. */
  public static final String UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
  public static final String TRACKING_ONE_REDIRECT =
      "ERR A client can only redirect to a single other client";
  public static final String TRACKING_NO_REDIRECT_CLIENT =
      "ERR The client ID you want redirect to does not exist";
  public static final String TRACKING_PREFIX_WITHOUT_BCAST =
      "ERR PREFIX option requires BCAST mode to be enabled";
  public static final String TRACKING_BCAST_SWITCH = "ERR You can't switch BCAST mode on/off "
      + "before disabling tracking for this client, and then re-enabling it with a different mode.";
  public static final String TRACKING_OPTIN_OPTOUT_WITH_BCAST =
      "ERR OPTIN and OPTOUT are not compatible with BCAST";
  public static final String TRACKING_OPTIN_AND_OPTOUT =
      "ERR You can't specify both OPTIN mode and OPTOUT mode";
  public static final String TRACKING_OPTIN_OPTOUT_SWITCH = "ERR You can't switch OPTIN/OPTOUT "
      + "mode before disabling tracking for this client, and then re-enabling it with a different "
      + "mode.";
  public static final String CACHING_WITHOUT_TRACKING = "ERR CLIENT CACHING can be called only "
      + "when the client is in tracking mode with OPTIN or OPTOUT mode enabled";
  public static final String CACHING_YES_WITHOUT_OPTIN =
      "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
  public static final String CACHING_NO_WITHOUT_OPTOUT =
      "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

  /** A BCAST prefix that would invalidate keys a prefix the client already has does too. */
  public static String prefixOverlapsExisting(String prefix, String existing) {
    return "ERR Prefix '" + prefix + "' overlaps with an existing prefix '" + existing
        + "'. Prefixes for a single client must not overlap.";
  }

  /** Two prefixes of one CLIENT TRACKING call that overlap. */
  public static String prefixOverlapsProvided(String prefix, String other) {
    return "ERR Prefix '" + prefix + "' overlaps with another provided prefix '" + other
        + "'. Prefixes for a single client must not overlap.";
  }

  // ---- CONFIG ----

  /** CONFIG SET: the argument, then why (a reason below, or the value parser's). */
  public static final String CONFIG_SET_FAILED =
      "ERR CONFIG SET failed (possibly related to argument '%s') - %s";
  public static final String CONFIG_SET_UNKNOWN =
      "ERR Unknown option or number of arguments for CONFIG SET - '%s'";
  public static final String CONFIG_IMMUTABLE = "can't set immutable config";
  public static final String CONFIG_PROTECTED = "can't set protected config";
  public static final String CONFIG_DUPLICATE = "duplicate parameter";
  /** Why CONFIG SET port (or a new tls-port) fails: Kiln does not move its sockets. */
  public static final String CONFIG_PORT_FIXED = "Unable to listen on this port";
  public static final String CONFIG_TLS_PORT_FIXED =
      "Unable to listen on this port. Check server logs.";
  public static final String CONFIG_BIND_FIXED = "Failed to bind to specified addresses.";
  public static final String CONFIG_NO_FILE = "ERR The server is running without a config file";
  public static final String CONFIG_REWRITE_IN_MULTI =
      "ERR CONFIG REWRITE is not supported inside MULTI by Kiln";
  /** Followed by the I/O error's message. */
  public static final String CONFIG_REWRITE_FAILED = "ERR Rewriting config file: ";
  /** Kiln's own: a TLS reload reads files on a worker, which a transaction cannot wait for. */
  public static final String TLS_RELOAD_IN_MULTI =
      "ERR CONFIG SET of a TLS setting is not supported inside MULTI by Kiln";

  /** CONFIG SET maxclients above what the open-files limit allows (Redis's text). */
  public static String maxclientsOverFileLimit(long allowed) {
    return String.format(CONFIG_SET_FAILED, "maxclients", "The operating system is not able to "
        + "handle the specified number of clients, try with " + allowed);
  }

  /** CONFIG SET of a tls-* directive whose new TLS context could not be built (Redis 7.0). */
  public static String tlsUpdateFailed(String directive) {
    return String.format(CONFIG_SET_FAILED, directive,
        "Unable to update TLS configuration. Check server logs.");
  }

  // ---- ACL ----

  /** A command the user's rules deny ({@code name} its full name, "config|set"). */
  public static String nopermCommand(String name) {
    return "NOPERM this user has no permissions to run the '" + name + "' command";
  }

  public static final String NOPERM_KEY =
      "NOPERM this user has no permissions to access one of the keys used as arguments";
  public static final String NOPERM_CHANNEL =
      "NOPERM this user has no permissions to access one of the channels used as arguments";
  /** EXEC's reply for a queued command the rules deny since it was queued (reason follows). */
  public static final String NOPERM_EXEC = "NOPERM ACLs rules changed between the moment the "
      + "transaction was accumulated and the EXEC call. This command is no longer allowed for "
      + "the following reason: ";
  public static final String NOPERM_EXEC_COMMAND =
      "no permission to execute the command or subcommand";
  public static final String NOPERM_EXEC_KEY = "no permission to touch the specified keys";
  public static final String NOPERM_EXEC_CHANNEL =
      "no permission to access one of the channels used as arguments";
  /** A script's command denied: "The user executing the script " + one of these. */
  public static final String SCRIPT_ACL = "ERR The user executing the script ";
  public static final String ACL_DENIED_COMMAND = "can't run this command or subcommand";
  public static final String ACL_DENIED_KEY =
      "can't access at least one of the keys mentioned in the command arguments";
  public static final String ACL_DENIED_CHANNEL =
      "can't publish to the channel mentioned in the command";
  public static final String ACL_NO_FILE = "ERR This Redis instance is not configured to use an "
      + "ACL file. You may want to specify users via the ACL SETUSER command and then issue a "
      + "CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store "
      + "users in the Redis configuration.";
  public static final String ACL_SAVE_FAILED = "ERR There was an error trying to save the ACLs. "
      + "Please check the server logs for more information";
  public static final String ACL_USERNAME_SPACES =
      "ERR Usernames can't contain spaces or null characters";
  public static final String ACL_DEFAULT_UNDELETABLE = "ERR The 'default' user cannot be removed";
  public static final String ACL_GENPASS_BITS = "ERR ACL GENPASS argument must be the number of "
      + "bits for the output password, a positive number up to 4096";
  /** ACL SETUSER: the rule, then what is wrong with it (one of the ACL_RULE_ reasons). */
  public static final String ACL_SETUSER_RULE = "ERR Error in ACL SETUSER modifier '%s': %s";
  // what Redis says of a rule that could not be applied (ACLSetUserStringError)
  public static final String ACL_RULE_UNKNOWN_NAME = "Unknown command or category name in ACL";
  public static final String ACL_RULE_SYNTAX = "Syntax error";
  public static final String ACL_RULE_KEY_AFTER_ALL = "Adding a pattern after the * pattern (or "
      + "the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
      + "with an empty list of patterns";
  public static final String ACL_RULE_CHANNEL_AFTER_ALL = "Adding a pattern after the * pattern "
      + "(or the 'allchannels' flag) is not valid and does not have any effect. Try "
      + "'resetchannels' to start with an empty list of channels";
  public static final String ACL_RULE_NO_SUCH_PASSWORD =
      "The password you are trying to remove from the user does not exist";
  public static final String ACL_RULE_BAD_HASH = "The password hash must be exactly 64 "
      + "characters and contain only lowercase hexadecimal characters";
  public static final String ACL_RULE_DUPLICATE_USER =
      "Duplicate user found. A user can only be defined once in config files";
  public static final String ACL_RULE_FIRST_ARG_OF_SUBCOMMAND =
      "Allowing first-arg of a subcommand is not supported";

  // ACL LOAD's errors (and the startup's, from an aclfile), one after another after ERR_PREFIX;
  // each starts with the file's name and the line's number
  public static final String ACL_FILE_NO_USER_KEYWORD =
      "%s:%s should start with user keyword followed by the username. ";
  /** The file, the line, the user name. */
  public static final String ACL_FILE_BAD_USERNAME =
      "'%s:%s: username '%s' contains invalid characters. ";
  /** The user name, the line. */
  public static final String ACL_FILE_DUPLICATE_USER =
      "WARNING: Duplicate user '%s' found on line %s. ";
  public static final String ACL_FILE_UNMATCHED_PARENTHESIS =
      "%s:%s: Unmatched parenthesis in selector definition.";
  /** The file, the line, the rule, its ACL_RULE_UNKNOWN_NAME reason. */
  public static final String ACL_FILE_UNKNOWN_NAME =
      "%s:%s: Error in applying operation '%s': %s. ";
  /** The file, the line, the rule's ACL_RULE_ reason. */
  public static final String ACL_FILE_RULE = "%s:%s: %s. ";
  /** Last, after the others. */
  public static final String ACL_FILE_NOT_LOADED = "WARNING: ACL errors detected, no change to the "
      + "previously active ACL rules was performed";

  /** ACL SAVE / LOAD inside MULTI: Kiln's own refusal (the reply would wait for a worker). */
  public static String aclFileInMulti(String sub) {
    return "ERR ACL " + sub + " is not supported inside MULTI by Kiln";
  }

  public static String aclUnmatchedParenthesis(String rule) {
    return "ERR Unmatched parenthesis in acl selector starting at '" + rule + "'.";
  }

  public static String aclNoSuchUser(String name) {
    return "ERR User '" + name + "' not found";
  }

  public static String aclNoSuchCommand(String name) {
    return "ERR Command '" + name + "' not found";
  }

  public static String aclUnknownCategory(String name) {
    return "ERR Unknown category '" + truncate(name, 128) + "'";
  }

  public static String aclFileUnreadable(String file, String why) {
    return "ERR Error loading ACLs, opening file '" + file + "': " + why;
  }

  /** ACL DRYRUN's answers (bulk replies, not errors). */
  public static String dryRunCommand(String name) {
    return "This user has no permissions to run the '" + name + "' command";
  }

  public static String dryRunKey(String key) {
    return "This user has no permissions to access the '" + key + "' key";
  }

  public static String dryRunChannel(String channel) {
    return "This user has no permissions to access the '" + channel + "' channel";
  }

  // ---- server: persistence, SHUTDOWN, DEBUG, introspection, replication, cluster ----

  /** SAVE that failed: Redis's bare shared error. */
  public static final String SAVE_FAILED = "ERR";
  public static final String BGSAVE_IN_PROGRESS = "ERR Background save already in progress";
  public static final String BGSAVE_DURING_AOF_REWRITE = "ERR An AOF log rewriting in progress: "
      + "can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever "
      + "possible.";
  public static final String AOF_NOT_ON = "ERR The append only file is not enabled";
  public static final String AOF_REWRITE_IN_PROGRESS =
      "ERR Background append only file rewriting already in progress";
  public static final String AOF_LOAD_FAILED = "ERR Error loading the append only file, check "
      + "server logs.";
  public static final String WAITAOF_APPENDONLY_OFF = "ERR WAITAOF cannot be used when numlocal "
      + "is set but appendonly is disabled.";
  /** Reason: a SHUTDOWN whose final save failed. */
  public static final String SHUTDOWN_FAILED = "Errors trying to SHUTDOWN. Check logs.";
  public static final String SHUTDOWN_NONE_IN_PROGRESS = "ERR No shutdown in progress.";
  public static final String MONITOR_DENY_BLOCKING =
      "ERR MONITOR isn't allowed for DENY BLOCKING client";
  public static final String SLOWLOG_COUNT = "ERR count should be greater than or equal to -1";
  public static final String LATENCY_NO_SAMPLES = "ERR No samples available for event '%s'";
  public static final String COMMAND_INVALID = "ERR Invalid command specified";
  public static final String COMMAND_INVALID_ARG_COUNT =
      "ERR Invalid number of arguments specified for command";
  public static final String COMMAND_NO_KEYS = "ERR The command has no key arguments";
  public static final String COMMAND_INVALID_ARGS = "ERR Invalid arguments specified for command";
  public static final String DEBUG_RELOAD_OPTIONS =
      "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
  public static final String DEBUG_SAVE_FAILED = "ERR Error trying to save the DB";
  public static final String DEBUG_LOAD_FAILED =
      "ERR Error trying to load the RDB dump, check server logs.";
  public static final String PROTOCOL_PUSH_RESP2 = "ERR RESP2 is not supported by this command";
  public static final String PROTOCOL_TYPE = "ERR Wrong protocol type name. Please use one of the "
      + "following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
  /** The length of the address, in bytes. */
  public static final String REPLCONF_IP_TOO_LONG =
      "ERR REPLCONF ip-address provided by replica instance is too long: %s bytes";
  public static final String REPLCONF_RDB_FILTER = "ERR Unsupported rdb-filter-only option: %s";
  public static final String REPLCONF_UNKNOWN = "ERR Unrecognized REPLCONF option: %s";
  /** SYNC from a connection that did not ask for the RDB alone: Kiln has no replicas. */
  public static final String SYNC_NOT_RDB_ONLY = "ERR Kiln does not replicate: SYNC sends only "
      + "an RDB, after REPLCONF rdb-only 1 (redis-cli --rdb)";
  public static final String SYNC_FAILED = "ERR Error creating the RDB for SYNC, check server logs.";
  public static final String CLUSTER_DISABLED = "ERR This instance has cluster support disabled";
}
