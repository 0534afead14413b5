package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** CLIENT subcommands that need several connections or reply suppression. */
class ClientCommandsTest {
  private static long id(RespClient c) {
    return Long.parseLong(c.call("CLIENT", "ID").substring(1).trim());
  }

  private static String field(String infoLine, String name) {
    Matcher m = Pattern.compile("(?:^|[ \\n])" + Pattern.quote(name) + "=(\\S*)").matcher(infoLine);
    if (!m.find()) {
      throw new AssertionError("no " + name + " in " + infoLine);
    }
    return m.group(1);
  }

  @Test
  void killByIdClosesAnotherConnection() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient a = kiln.client();
        RespClient b = kiln.client()) {
      long idB = id(b);
      assertThat(a.call("CLIENT", "KILL", "ID", Long.toString(idB))).isEqualTo(":1\r\n");
      assertThat(b.closedByServer()).isTrue();
      assertThat(a.call("CLIENT", "KILL", "ID", Long.toString(idB))).isEqualTo(":0\r\n");
      assertThat(a.call("PING")).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void killByAddressOldFormRepliesOk() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient a = kiln.client();
        RespClient b = kiln.client()) {
      String addr = field(b.call("CLIENT", "INFO"), "addr");
      assertThat(a.call("CLIENT", "KILL", addr)).isEqualTo("+OK\r\n");
      assertThat(b.closedByServer()).isTrue();
      assertThat(a.call("CLIENT", "KILL", addr)).isEqualTo("-ERR No such client\r\n");
    }
  }

  @Test
  void killSkipsTheCallerUnlessSkipmeNo() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient a = kiln.client();
        RespClient b = kiln.client()) {
      b.call("PING");
      assertThat(a.call("CLIENT", "KILL", "TYPE", "normal")).isEqualTo(":1\r\n");
      assertThat(b.closedByServer()).isTrue();
      assertThat(a.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no")).isEqualTo(":1\r\n");
      assertThat(a.closedByServer()).isTrue();
    }
  }

  @Test
  void replyOffSilencesUntilReplyOn() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.send("CLIENT", "REPLY", "OFF");
      c.send("PING");
      c.send("SET", "k", "v");
      c.send("CLIENT", "REPLY", "ON");
      assertThat(c.readReply()).isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void replySkipDropsOnlyTheNextReply() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.send("CLIENT", "REPLY", "SKIP");
      c.send("PING", "first");
      c.send("PING", "second");
      assertThat(c.readReply()).isEqualTo("$6\r\nsecond\r\n");
    }
  }

  @Test
  void listFiltersByIdAndType() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient a = kiln.client();
        RespClient b = kiln.client()) {
      long idB = id(b);
      String one = a.call("CLIENT", "LIST", "ID", Long.toString(idB));
      assertThat(one.split("\n")).hasSize(3); // "$n\r", the line, the closing "\r"
      assertThat(field(one, "id")).isEqualTo(Long.toString(idB));
      String all = a.call("CLIENT", "LIST", "TYPE", "normal");
      assertThat(all).contains("id=" + idB + " ", "id=" + id(a) + " ");
      assertThat(a.call("CLIENT", "LIST", "TYPE", "pubsub")).isEqualTo("$0\r\n\r\n");
    }
  }

  @Test
  void infoShowsNameDbAndCurrentCommand() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CLIENT", "SETNAME", "worker-1");
      c.call("SELECT", "3");
      String info = c.call("CLIENT", "INFO");
      assertThat(field(info, "name")).isEqualTo("worker-1");
      assertThat(field(info, "db")).isEqualTo("3");
      assertThat(field(info, "cmd")).isEqualTo("client|info");
      assertThat(info).doesNotContain("lib-name");
    }
  }

  @Test
  void setinfoStoresLibraryNameAndVersion() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      assertThat(c.call("CLIENT", "SETINFO", "LIB-NAME", "jedis")).isEqualTo("+OK\r\n");
      assertThat(c.call("CLIENT", "SETINFO", "lib-ver", "5.1.0")).isEqualTo("+OK\r\n");
      String info = c.call("CLIENT", "INFO");
      assertThat(field(info, "lib-name")).isEqualTo("jedis");
      assertThat(field(info, "lib-ver")).isEqualTo("5.1.0");
      assertThat(c.call("CLIENT", "SETINFO", "foo", "x"))
          .isEqualTo("-ERR Unrecognized option 'foo'\r\n");
      assertThat(c.call("CLIENT", "SETINFO", "lib-name", "a b"))
          .isEqualTo("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
    }
  }
}
