package io.kiln.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.config.Config;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** ACL users, rules and checks as Redis 7.0 has them, against a real Kiln over RESP. */
class AclTest {
  private static TestKiln kiln;
  private RespClient admin;

  @BeforeAll
  static void start() {
    kiln = TestKiln.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kiln.close();
  }

  @BeforeEach
  void fresh() {
    admin = kiln.client();
    admin.call("FLUSHALL");
    admin.call("ACL", "LOG", "RESET");
    for (String name : List.of("u", "v", "w")) {
      admin.call("ACL", "DELUSER", name);
    }
  }

  private RespClient as(String user, String pass) {
    RespClient c = kiln.client();
    assertThat(c.call("AUTH", user, pass)).isEqualTo("+OK\r\n");
    return c;
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  /** Waits (bounded) until the server has closed {@code c}. */
  private static void awaitClosed(RespClient c) {
    c.timeout(5000);
    assertThat(c.closedByServer()).as("connection closed by the server").isTrue();
  }

  @Test
  void aNewUserIsOffWithoutPermissionsAndItsPasswordIsStoredHashed() throws Exception {
    assertThat(admin.call("ACL", "SETUSER", "u")).isEqualTo("+OK\r\n");
    try (RespClient c = kiln.client()) {
      assertThat(c.call("AUTH", "u", "x")).startsWith("-WRONGPASS");
    }
    admin.call("ACL", "SETUSER", "u", "on", ">secret");
    String user = admin.call("ACL", "GETUSER", "u");
    assertThat(user).contains(sha256("secret")).doesNotContain("secret\r\n");
    try (RespClient c = as("u", "secret")) {
      assertThat(c.call("GET", "k"))
          .isEqualTo("-NOPERM this user has no permissions to run the 'get' command\r\n");
      assertThat(c.call("ACL", "WHOAMI")).startsWith("-NOPERM");
      assertThat(c.call("PING")).startsWith("-NOPERM"); // even PING needs a rule
    }
  }

  @Test
  void commandRulesAllowAndDenyCommandsCategoriesAndSubcommands() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "~*", "+@all", "-@dangerous",
        "+config|get", "-set");
    try (RespClient c = as("u", "any")) {
      assertThat(c.call("GET", "k")).isEqualTo("$-1\r\n");
      assertThat(c.call("SET", "k", "v")).startsWith("-NOPERM").contains("'set'");
      assertThat(c.call("FLUSHALL")).startsWith("-NOPERM").contains("'flushall'");
      assertThat(c.call("CONFIG", "GET", "port")).startsWith("*2");
      assertThat(c.call("CONFIG", "SET", "hz", "11")).contains("'config|set'");
    }
    assertThat(admin.call("ACL", "GETUSER", "u"))
        .contains("+@all -@dangerous ").contains(" +config|get").contains(" -set");
  }

  @Test
  void keyPatternsSeparateReadingFromWriting() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "%R~r*", "%W~w*", "~both*");
    admin.call("SET", "r1", "x");
    try (RespClient c = as("u", "p")) {
      assertThat(c.call("GET", "r1")).isEqualTo("$1\r\nx\r\n");
      assertThat(c.call("SET", "r1", "y")).isEqualTo("-NOPERM this user has no permissions to "
          + "access one of the keys used as arguments\r\n");
      assertThat(c.call("SET", "w1", "y")).isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "w1")).startsWith("-NOPERM");
      assertThat(c.call("SET", "w1", "z", "GET")).startsWith("-NOPERM"); // GET reads it too
      assertThat(c.call("COPY", "r1", "w2")).isEqualTo(":1\r\n");
      assertThat(c.call("COPY", "w1", "r2")).startsWith("-NOPERM");
      assertThat(c.call("INCR", "both1")).isEqualTo(":1\r\n");
      assertThat(c.call("GET", "other")).startsWith("-NOPERM");
    }
  }

  @Test
  void channelRulesGovernPublishAndSubscribe() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "resetchannels", "&news*");
    try (RespClient c = as("u", "p")) {
      assertThat(c.call("PUBLISH", "news.today", "hi")).isEqualTo(":0\r\n");
      assertThat(c.call("PUBLISH", "sports", "hi")).isEqualTo("-NOPERM this user has no "
          + "permissions to access one of the channels used as arguments\r\n");
      assertThat(c.call("SUBSCRIBE", "news.x", "sports")).startsWith("-NOPERM");
      // PSUBSCRIBE's pattern must be one of the rules, literally
      assertThat(c.call("PSUBSCRIBE", "news.*")).startsWith("-NOPERM");
      assertThat(c.call("PSUBSCRIBE", "news*")).startsWith("*3");
    }
  }

  @Test
  void subscribersThatLoseTheirChannelAreDisconnectedOthersStay() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "resetchannels", "&a", "&b");
    RespClient onA = as("u", "p");
    RespClient onB = as("u", "p");
    assertThat(onA.call("SUBSCRIBE", "a")).startsWith("*3");
    assertThat(onB.call("SUBSCRIBE", "b")).startsWith("*3");
    admin.call("ACL", "SETUSER", "u", "resetchannels", "&b");
    awaitClosed(onA);
    assertThat(admin.call("PUBLISH", "b", "still")).isEqualTo(":1\r\n");
    onB.close();
  }

  @Test
  void deletingAUserClosesItsConnectionsAndOnlyThose() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all");
    RespClient victim = as("u", "p");
    assertThat(victim.call("PING")).isEqualTo("+PONG\r\n");
    assertThat(admin.call("ACL", "DELUSER", "u", "nosuch")).isEqualTo(":1\r\n");
    awaitClosed(victim);
    assertThat(admin.call("PING")).isEqualTo("+PONG\r\n");
    assertThat(admin.call("ACL", "DELUSER", "default"))
        .isEqualTo("-ERR The 'default' user cannot be removed\r\n");
  }

  @Test
  void transactionsAreCheckedWhenQueuedAndAgainAtExec() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "~*", "-flushall");
    try (RespClient c = as("u", "p")) {
      c.call("MULTI");
      assertThat(c.call("FLUSHALL")).startsWith("-NOPERM");
      assertThat(c.call("EXEC")).startsWith("-EXECABORT");

      c.call("MULTI");
      assertThat(c.call("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
      assertThat(c.call("GET", "k")).isEqualTo("+QUEUED\r\n");
      admin.call("ACL", "SETUSER", "u", "-set");
      assertThat(c.call("EXEC")).isEqualTo("*2\r\n-NOPERM ACLs rules changed between the moment "
          + "the transaction was accumulated and the EXEC call. This command is no longer "
          + "allowed for the following reason: no permission to execute the command or "
          + "subcommand\r\n$-1\r\n");
    }
    assertThat(admin.call("EXISTS", "k")).isEqualTo(":0\r\n");
  }

  @Test
  void scriptsRunTheirCommandsWithTheCallersPermissions() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "-set", "~*");
    try (RespClient c = as("u", "p")) {
      assertThat(c.call("EVAL", "return redis.call('set','k','v')", "0"))
          .startsWith("-ERR The user executing the script can't run this command or subcommand");
      assertThat(c.call("EVAL", "return redis.pcall('get','k')", "0")).isEqualTo("$-1\r\n");
    }
    assertThat(admin.call("EXISTS", "k")).isEqualTo(":0\r\n");
    assertThat(admin.call("ACL", "LOG", "1")).contains("lua").contains("set");
  }

  @Test
  void theAclLogRecordsDenialsAndFailedLogins() {
    admin.call("ACL", "SETUSER", "u", "on", ">p", "+get", "~k*");
    try (RespClient c = as("u", "p")) {
      c.call("GET", "other");
      c.call("GET", "other");
      c.call("SET", "k", "v");
      c.call("AUTH", "u", "wrong");
    }
    String log = admin.call("ACL", "LOG");
    assertThat(log).startsWith("*3\r\n");
    // newest first: the failed AUTH, the command, then the key (seen twice, one entry)
    assertThat(log.indexOf("auth")).isLessThan(log.indexOf("command"));
    assertThat(log).contains("$5\r\ncount\r\n:2\r\n$6\r\nreason\r\n$3\r\nkey\r\n")
        .contains("$6\r\nobject\r\n$5\r\nother\r\n").contains("$8\r\nusername\r\n$1\r\nu\r\n")
        .contains("age-seconds").contains("user=u");
    assertThat(admin.call("ACL", "LOG", "1")).startsWith("*1\r\n");
    assertThat(admin.call("ACL", "LOG", "RESET")).isEqualTo("+OK\r\n");
    assertThat(admin.call("ACL", "LOG")).isEqualTo("*0\r\n");
  }

  @Test
  void deniedCommandsCountAsNopermErrorsInInfo() {
    admin.call("CONFIG", "RESETSTAT");
    admin.call("ACL", "SETUSER", "u", "on", "nopass");
    try (RespClient c = as("u", "p")) {
      c.call("GET", "k");
    }
    assertThat(admin.call("INFO", "errorstats")).contains("errorstat_NOPERM:count=1");
  }

  @Test
  void clientListShowsEachConnectionsUser() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all");
    try (RespClient c = as("u", "p")) {
      assertThat(c.call("CLIENT", "INFO")).contains(" user=u ");
      assertThat(admin.call("CLIENT", "LIST")).contains(" user=u ").contains(" user=default ");
    }
  }

  @Test
  void resetReturnsToTheDefaultUser() {
    admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all");
    try (RespClient c = as("u", "p")) {
      assertThat(c.call("ACL", "WHOAMI")).isEqualTo("$1\r\nu\r\n");
      assertThat(c.call("RESET")).isEqualTo("+RESET\r\n");
      assertThat(c.call("ACL", "WHOAMI")).isEqualTo("$7\r\ndefault\r\n");
    }
  }

  @Test
  void jedisAuthenticatesAsAUserAndHelloAuthSwitchesUser() {
    admin.call("ACL", "SETUSER", "u", "on", ">pw", "+@read", "+auth", "~*");
    try (Jedis jedis = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(jedis.auth("u", "pw")).isEqualTo("OK");
      assertThat(jedis.get("k")).isNull();
      assertThatThrownBy(() -> jedis.set("k", "v")).isInstanceOf(JedisDataException.class)
          .hasMessageContaining("NOPERM");
    }
    try (RespClient c = kiln.client()) {
      assertThat(c.call("HELLO", "2", "AUTH", "u", "bad")).startsWith("-WRONGPASS");
      assertThat(c.call("HELLO", "2", "AUTH", "u", "pw")).startsWith("*14");
      assertThat(c.call("ACL", "WHOAMI")).startsWith("-NOPERM");
    }
  }

  @Test
  void lettuceLogsInWithHelloAuthOverResp3() {
    admin.call("ACL", "SETUSER", "u", "on", ">pw", "+@all", "-flushall", "~app:*");
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create();
    client.setOptions(io.lettuce.core.ClientOptions.builder()
        .protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP3).build());
    io.lettuce.core.RedisURI uri = io.lettuce.core.RedisURI.builder().withHost("127.0.0.1")
        .withPort(kiln.port()).withAuthentication("u", "pw")
        .withTimeout(java.time.Duration.ofSeconds(10)).build();
    try (var connection = client.connect(uri)) {
      var redis = connection.sync();
      assertThat(redis.set("app:1", "v")).isEqualTo("OK");
      assertThat(redis.get("app:1")).isEqualTo("v");
      assertThatThrownBy(() -> redis.get("other")).hasMessageContaining("NOPERM");
      assertThatThrownBy(redis::flushall).hasMessageContaining("NOPERM");
    } finally {
      client.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5));
    }
  }

  @Test
  void requirepassIsTheDefaultUsersPassword() {
    try (TestKiln k = TestKiln.start("requirepass", "s3cret"); RespClient c = k.client()) {
      assertThat(c.call("GET", "k")).isEqualTo("-NOAUTH Authentication required.\r\n");
      assertThat(c.call("AUTH", "wrong")).startsWith("-WRONGPASS");
      assertThat(c.call("AUTH", "default", "s3cret")).isEqualTo("+OK\r\n");
      assertThat(c.call("ACL", "GETUSER", "default")).doesNotContain("nopass");
      assertThat(c.call("CONFIG", "SET", "requirepass", "")).isEqualTo("+OK\r\n");
      try (RespClient fresh = k.client()) {
        assertThat(fresh.call("GET", "k")).isEqualTo("$-1\r\n");
        assertThat(fresh.call("AUTH", "x")).startsWith("-ERR AUTH <password> called without");
      }
      assertThat(c.call("CONFIG", "SET", "requirepass", "other")).isEqualTo("+OK\r\n");
      try (RespClient fresh = k.client()) {
        assertThat(fresh.call("GET", "k")).startsWith("-NOAUTH");
        assertThat(fresh.call("AUTH", "other")).isEqualTo("+OK\r\n");
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void userDirectivesDefineUsersAtStartup(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("kiln.conf");
    Files.writeString(conf, "port 0\nbind 127.0.0.1\nsave \"\"\ndir " + dir + "\n"
        + "user default on nopass ~* &* +@all -flushdb\n"
        + "user ro on >ro %R~* +@read\n"
        + "user utf on >p\u00e4ss +@all\n");
    try (TestKiln k = TestKiln.start(Config.load(conf.toString(), List.of()));
        RespClient c = k.client()) {
      assertThat(c.call("FLUSHDB")).startsWith("-NOPERM");
      assertThat(c.call("AUTH", "ro", "ro")).isEqualTo("+OK\r\n");
      assertThat(c.call("SET", "k", "v")).startsWith("-NOPERM");
      assertThat(c.call("GET", "k")).isEqualTo("$-1\r\n");
      // a password written in UTF-8 in the file is the bytes a client sends
      assertThat(c.call(List.of("AUTH".getBytes(StandardCharsets.UTF_8),
          "utf".getBytes(StandardCharsets.UTF_8), "p\u00e4ss".getBytes(StandardCharsets.UTF_8))))
          .isEqualTo("+OK\r\n");
    }
  }

  @Test
  void usersAndAnAclFileTogetherAreRefused(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("users.acl"), "user a on nopass +@all\n");
    Config config = Config.defaults().with("port", "0").with("save", "")
        .with("dir", dir.toString());
    Path conf = dir.resolve("kiln.conf");
    Files.writeString(conf, "port 0\nsave \"\"\ndir " + dir + "\naclfile users.acl\n"
        + "user b on nopass +@all\n");
    Config both = Config.load(conf.toString(), List.of());
    assertThatThrownBy(() -> io.kiln.Kiln.start(both).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS)).hasMessageContaining("not both");
    assertThat(config.userDirectives()).isEmpty();
  }

  @Test
  void aclSaveAndLoadRoundTripThroughTheAclFile(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("users.acl"), "user alice on >alice ~* &* +@all\n");
    try (TestKiln k = TestKiln.start("dir", dir.toString(), "aclfile", "users.acl");
        RespClient c = k.client()) {
      assertThat(c.call("AUTH", "alice", "alice")).isEqualTo("+OK\r\n");
      assertThat(c.call("ACL", "SETUSER", "eve", "on", ">eve", "+get", "allkeys"))
          .isEqualTo("+OK\r\n");
      assertThat(c.call("ACL", "SAVE")).isEqualTo("+OK\r\n");
      assertThat(Files.readString(dir.resolve("users.acl"))).contains("user eve on #"
          + sha256("eve") + " ~* resetchannels -@all +get\n");
      // LOAD replaces every user but default: alice's connection (this one) is closed after
      assertThat(c.call("ACL", "LOAD")).isEqualTo("+OK\r\n");
      awaitClosed(c);
      try (RespClient e = k.client()) {
        assertThat(e.call("AUTH", "eve", "eve")).isEqualTo("+OK\r\n");
        assertThat(e.call("GET", "x")).isEqualTo("$-1\r\n");
        assertThat(e.call("SET", "x", "1")).startsWith("-NOPERM");
      }
      Files.writeString(dir.resolve("users.acl"), "user a on nopass\nuser a off\nbogus\n");
      try (RespClient e = k.client()) {
        assertThat(e.call("ACL", "LOAD")).isEqualTo("-ERR WARNING: Duplicate user 'a' found "
            + "on line 2. users.acl:3 should start with user keyword followed by the username. "
            + "WARNING: ACL errors detected, no change to the previously active ACL rules was "
            + "performed\r\n");
        assertThat(e.call("ACL", "USERS")).contains("eve");
      }
    }
  }

  @Test
  void aclWithoutAnAclFileRefusesSaveAndLoad() {
    assertThat(admin.call("ACL", "SAVE")).startsWith("-ERR This Redis instance is not configured "
        + "to use an ACL file.");
    assertThat(admin.call("ACL", "LOAD")).startsWith("-ERR This Redis instance is not configured "
        + "to use an ACL file.");
  }
}
