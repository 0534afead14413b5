package io.kiln.command;

/**
 * The catalogue of error replies, with Redis 7.0's exact text (without the leading '-').
 * Constants only; any thread.
 */
public final class Errors {
  private Errors() {}

  public static final String SYNTAX = "ERR syntax error";
  public static final String WRONGTYPE =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  public static final String NOT_INTEGER = "ERR value is not an integer or out of range";
  public static final String NOT_FLOAT = "ERR value is not a valid float";
  public static final String OVERFLOW = "ERR increment or decrement would overflow";
  public static final String NAN_OR_INF = "ERR increment would produce NaN or Infinity";
  public static final String NO_SUCH_KEY = "ERR no such key";
  public static final String OUT_OF_RANGE = "ERR index out of range";
  public static final String DB_OUT_OF_RANGE = "ERR DB index is out of range";
  public static final String NOAUTH = "NOAUTH Authentication required.";
  public static final String PROTOCOL_PUSH_RESP2 = "ERR RESP2 is not supported by this command";
  public static final String PROTOCOL_TYPE = "ERR Wrong protocol type name. Please use one of the "
      + "following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
  public static final String PACKED_THRESHOLD =
      "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
  public static final String MIGRATE_KEYS_NEED_EMPTY_KEY =
      "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
  public static final String MIGRATE_IOERR_CONNECT = "IOERR error or timeout connecting to the client";
  public static final String MIGRATE_IOERR_READ = "IOERR error or timeout reading to target instance";
  public static final String MIGRATE_IOERR_WRITE = "IOERR error or timeout writing to target instance";
  public static final String MIGRATE_NOT_HERE =
      "ERR MIGRATE is not supported inside MULTI/EXEC or a script in Kiln";
  /** Followed by the target's error without its "-". */
  public static final String MIGRATE_TARGET_ERROR = "ERR Target instance replied with error: ";
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
  public static final String WRONGPASS =
      "WRONGPASS invalid username-password pair or user is disabled.";
  public static final String STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  public static final String BIT_OFFSET = "ERR bit offset is not an integer or out of range";
  public static final String BIT_VALUE = "ERR bit is not an integer or out of range";
  public static final String INVALID_EXPIRE = "ERR invalid expire time in '%s' command";
  // generic (keyspace) family
  public static final String INVALID_CURSOR = "ERR invalid cursor";
  public static final String INT_RANGE =
      "ERR value is out of range, value must between -2147483648 and 2147483647";
  public static final String EXPIRE_NX_AND_OTHERS =
      "ERR NX and XX, GT or LT options at the same time are not compatible";
  public static final String EXPIRE_GT_AND_LT =
      "ERR GT and LT options at the same time are not compatible";
  public static final String LFU_NOT_SELECTED = "ERR An LFU maxmemory policy is not selected, "
      + "access frequency not tracked. Please note that when switching between policies at "
      + "runtime LRU and LFU data will take some time to adjust.";
  public static final String LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time "
      + "not tracked. Please note that when switching between policies at runtime LRU and LFU "
      + "data will take some time to adjust.";
  public static final String SAME_OBJECT = "ERR source and destination objects are the same";
  public static final String EXEC_ABORT =
      "EXECABORT Transaction discarded because of previous errors.";
  public static final String MISCONF_RDB = "MISCONF Redis is configured to save RDB snapshots, "
      + "but it's currently unable to persist to disk. Commands that may modify the data set are "
      + "disabled, because this instance is configured to report errors during writes if RDB "
      + "snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
      + "details about the RDB error.";
  public static final String LOADING = "LOADING Redis is loading the dataset in memory";
  public static final String BUSYKEY = "BUSYKEY Target key name already exists.";
  public static final String RESTORE_TTL = "ERR Invalid TTL value, must be >= 0";
  public static final String RESTORE_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0";
  public static final String RESTORE_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255";

  public static final String DEBUG_NOT_ALLOWED = "ERR DEBUG command not allowed. If the "
      + "enable-debug-command option is set to \"local\", you can run it from a local connection, "
      + "otherwise you need to set this option in the configuration file, and then restart the "
      + "server.";

  public static final String NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
  public static final String NOTBUSY = "NOTBUSY No scripts in execution right now.";
  public static final String UNKILLABLE = "UNKILLABLE Sorry the script already executed write "
      + "commands against the dataset. You can either wait the script termination or kill the "
      + "server in a hard way using the SHUTDOWN NOSAVE command.";
  public static final String BUSY_EVAL = "BUSY Redis is busy running a script. You can only "
      + "call SCRIPT KILL or SHUTDOWN NOSAVE.";
  public static final String BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only "
      + "call FUNCTION KILL or SHUTDOWN NOSAVE.";
  public static final String NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
  public static final String AOF_NOT_ON = "ERR The append only file is not enabled";
  /** SYNC from a connection that did not ask for the RDB alone: Kiln has no replicas. */
  public static final String SYNC_NOT_RDB_ONLY = "ERR Kiln does not replicate: SYNC sends only "
      + "an RDB, after REPLCONF rdb-only 1 (redis-cli --rdb)";
  public static final String SYNC_FAILED = "ERR Error creating the RDB for SYNC, check server logs.";
  public static final String WAITAOF_APPENDONLY_OFF = "ERR WAITAOF cannot be used when numlocal "
      + "is set but appendonly is disabled.";
  public static final String NOT_POSITIVE = "ERR value is out of range, must be positive";
  public static final String TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range";
  public static final String TIMEOUT_NEGATIVE = "ERR timeout is negative";
  public static final String PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL";
  public static final String TIMEOUT_OUT_OF_RANGE = "ERR timeout is out of range";
  public static final String AOF_REWRITE_IN_PROGRESS =
      "ERR Background append only file rewriting already in progress";
  public static final String BGSAVE_DURING_AOF_REWRITE = "ERR An AOF log rewriting in progress: "
      + "can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever "
      + "possible.";
  public static final String AOF_LOAD_FAILED = "ERR Error loading the append only file, check "
      + "server logs.";

  // CLIENT TRACKING and CLIENT CACHING (client-side caching)
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

  // geo family
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
    return "ERR invalid longitude,latitude pair " + io.kiln.resp.Numbers.formatF6(lon) + ","
        + io.kiln.resp.Numbers.formatF6(lat);
  }

  /** GEOSEARCH[STORE] without FROMMEMBER or FROMLONLAT ({@code command}: argv[0] as sent). */
  public static String geoNeedsFrom(String command) {
    return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + command;
  }

  /** GEOSEARCH[STORE] without BYRADIUS or BYBOX ({@code command}: argv[0] as sent). */
  public static String geoNeedsBy(String command) {
    return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + command;
  }

  /** CONFIG SET maxclients above what the open-files limit allows (Redis's text). */
  public static String maxclientsOverFileLimit(long allowed) {
    return "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
        + "system is not able to handle the specified number of clients, try with " + allowed;
  }

  /** Redis's refusal of writes while the AOF cannot be written ({@code reason}: the OS error). */
  public static String misconfAof(String reason) {
    return "MISCONF Errors writing to the AOF file: " + reason;
  }

  public static String unknownCommand(String name, byte[][] argv) {
    StringBuilder args = new StringBuilder();
    for (int i = 1; i < argv.length && args.length() < 128; i++) {
      String a = io.kiln.resp.Numbers.ascii(argv[i]);
      args.append('\'').append(a, 0, Math.min(a.length(), 128 - args.length())).append("' ");
    }
    return "ERR unknown command '" + truncate(name, 128) + "', with args beginning with: " + args;
  }

  /** A subcommand given too many (or malformed) arguments, as Redis's subcommand syntax error. */
  public static String subcommandSyntax(String sub, String container) {
    return "ERR unknown subcommand or wrong number of arguments for '" + truncate(sub, 128)
        + "'. Try " + container + " HELP.";
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
  public static final String AUTH_WITHOUT_PASSWORD = "ERR AUTH <password> called without any "
      + "password configured for the default user. Are you sure your configuration is correct?";
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

  public static final String SORT_BY_ACL =
      "ERR BY option of SORT denied due to insufficient ACL permissions.";
  public static final String SORT_GET_ACL =
      "ERR GET option of SORT denied due to insufficient ACL permissions.";

  /** ACL SAVE / LOAD inside MULTI: Kiln's own refusal (the reply would wait for a worker). */
  public static String aclFileInMulti(String sub) {
    return "ERR ACL " + sub + " is not supported inside MULTI by Kiln";
  }

  public static String aclUnmatchedParenthesis(String rule) {
    return "ERR Unmatched parenthesis in acl selector starting at '" + rule + "'.";
  }

  public static String aclSetuserRule(String rule, io.kiln.acl.AclProblem.Kind kind) {
    return "ERR Error in ACL SETUSER modifier '" + rule + "': " + aclProblem(kind);
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

  /** What Redis says of a rule that could not be applied (ACLSetUserStringError). */
  public static String aclProblem(io.kiln.acl.AclProblem.Kind kind) {
    return switch (kind) {
      case UNKNOWN_NAME -> "Unknown command or category name in ACL";
      case SYNTAX -> "Syntax error";
      case KEY_AFTER_ALL -> "Adding a pattern after the * pattern (or the 'allkeys' flag) is not "
          + "valid and does not have any effect. Try 'resetkeys' to start with an empty list of "
          + "patterns";
      case CHANNEL_AFTER_ALL -> "Adding a pattern after the * pattern (or the 'allchannels' flag) "
          + "is not valid and does not have any effect. Try 'resetchannels' to start with an "
          + "empty list of channels";
      case NO_SUCH_PASSWORD ->
          "The password you are trying to remove from the user does not exist";
      case BAD_HASH -> "The password hash must be exactly 64 characters and contain only "
          + "lowercase hexadecimal characters";
      case DUPLICATE_USER ->
          "Duplicate user found. A user can only be defined once in config files";
      case FIRST_ARG_OF_SUBCOMMAND -> "Allowing first-arg of a subcommand is not supported";
    };
  }

  /** CONFIG SET of a tls-* directive whose new TLS context could not be built (Redis 7.0). */
  public static String tlsUpdateFailed(String directive) {
    return "ERR CONFIG SET failed (possibly related to argument '" + directive
        + "') - Unable to update TLS configuration. Check server logs.";
  }

  /** Kiln's own: a TLS reload reads files on a worker, which a transaction cannot wait for. */
  public static final String TLS_RELOAD_IN_MULTI =
      "ERR CONFIG SET of a TLS setting is not supported inside MULTI by Kiln";
}
