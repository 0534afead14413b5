package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigGetSetTest {
  private final Config config = Config.defaults();

  private List<String> names(List<Map.Entry<String, String>> pairs) {
    return pairs.stream().map(Map.Entry::getKey).toList();
  }

  @Test
  void getExactNameEchoesTheNameAsGiven() {
    assertThat(config.get(List.of("PORT"))).containsExactly(Map.entry("PORT", "6379"));
  }

  @Test
  void getGlobIsCaseInsensitiveAndListsAliases() {
    assertThat(names(config.get(List.of("HASH-MAX-*")))).containsExactlyInAnyOrder(
        "hash-max-listpack-entries", "hash-max-ziplist-entries",
        "hash-max-listpack-value", "hash-max-ziplist-value");
  }

  @Test
  void getSeveralPatternsListsEachNameOnce() {
    assertThat(names(config.get(List.of("port", "p?rt", "maxmemory", "maxmemory*"))))
        .containsExactlyInAnyOrder("port", "maxmemory", "maxmemory-policy", "maxmemory-samples",
            "maxmemory-eviction-tenacity", "maxmemory-clients");
  }

  @Test
  void getCharacterClasses() {
    assertThat(names(config.get(List.of("[pq]or[^x]")))).containsExactly("port");
  }

  @Test
  void getUnknownNameReturnsNothing() {
    assertThat(config.get(List.of("nope"))).isEmpty();
  }

  @Test
  void setChangesSeveralValues() throws Exception {
    config.set(List.of("maxmemory", "1mb", "save", "900 1 300 10", "slave-priority", "5"));
    assertThat(config.getLong("maxmemory")).isEqualTo(1024 * 1024);
    assertThat(config.savePoints()).containsExactly(new SavePoint(900, 1), new SavePoint(300, 10));
    assertThat(config.getInt("replica-priority")).isEqualTo(5);
  }

  @Test
  void setIsAllOrNothing() {
    assertThatThrownBy(() -> config.set(List.of("maxclients", "50", "timeout", "abc")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'timeout') - "
            + "argument couldn't be parsed into an integer");
    assertThat(config.getInt("maxclients")).isEqualTo(10000);
  }

  @Test
  void setUnknownOption() {
    assertThatThrownBy(() -> config.set(List.of("port", "abc", "foo", "bar")))
        .hasMessage("ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  }

  @Test
  void setImmutableIsRefused() {
    assertThatThrownBy(() -> config.set(List.of("databases", "4")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'databases') - "
            + "can't set immutable config");
  }

  @Test
  void listenersAreSetOnlyToTheValueTheyHaveAndNothingElseOfTheCallSticks() throws Exception {
    config.set(List.of("port", "6379", "metrics-port", "0", "bind", "* -::*"));
    assertThatThrownBy(() -> config.set(List.of("maxclients", "50", "port", "6380")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'port') - "
            + "Unable to listen on this port");
    assertThat(config.getInt("maxclients")).isEqualTo(10000);
    assertThat(config.getInt("port")).isEqualTo(6379);
    assertThatThrownBy(() -> config.set(List.of("bind", "127.0.0.1")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'bind') - "
            + "Failed to bind to specified addresses.");
    assertThatThrownBy(() -> config.set(List.of("metrics-port", "9121")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'metrics-port') - "
            + "can't set immutable config");
  }

  @Test
  void setProtectedIsRefused() {
    assertThatThrownBy(() -> config.set(List.of("dir", "/tmp")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'dir') - "
            + "can't set protected config");
  }

  @Test
  void setDuplicateIsRefused() {
    assertThatThrownBy(() -> config.set(List.of("port", "1", "PORT", "2")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'PORT') - "
            + "duplicate parameter");
  }

  @Test
  void setOutOfRange() {
    assertThatThrownBy(() -> config.set(List.of("port", "99999")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'port') - "
            + "argument must be between 0 and 65535 inclusive");
  }

  @Test
  void setBadEnum() {
    assertThatThrownBy(() -> config.set(List.of("loglevel", "loud")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
            + "argument(s) must be one of the following: debug, verbose, notice, warning");
  }

  @Test
  void shardsAreSetAtStartupOnly() {
    assertThatThrownBy(() -> config.set(List.of("shards", "2")))
        .hasMessage("ERR CONFIG SET failed (possibly related to argument 'shards') - "
            + "can't set immutable config");
  }

  @Test
  void kilnsOwnImmutableConfigsAreReadByNameButNotListedByAPattern() {
    assertThat(config.get(List.of("shards"))).extracting(Map.Entry::getKey).containsExactly("shards");
    assertThat(config.get(List.of("metrics-tls"))).extracting(Map.Entry::getKey)
        .containsExactly("metrics-tls");
    assertThat(config.get(List.of("*"))).extracting(Map.Entry::getKey)
        .doesNotContain("shards", "metrics-tls").contains("metrics-port", "maxmemory");
  }

  @Test
  void setOddArgumentsIsASyntaxError() {
    assertThatThrownBy(() -> config.set(List.of("port", "1", "timeout")))
        .hasMessage("ERR syntax error");
  }

  @Test
  void specialValuesPrintLikeRedis() throws Exception {
    config.set(List.of("notify-keyspace-events", "KEA", "client-output-buffer-limit",
        "replica 1mb 2mb 3", "maxmemory-clients", "10%", "hz", "1000"));
    assertThat(config.getString("notify-keyspace-events")).isEqualTo("AKE");
    assertThat(config.getString("client-output-buffer-limit")).isEqualTo(
        "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60");
    assertThat(config.getString("maxmemory-clients")).isEqualTo("10%");
    assertThat(config.getInt("hz")).isEqualTo(500);
  }

  @Test
  void listenersFireAfterAChange() throws Exception {
    List<Integer> seen = new ArrayList<>();
    config.onChange("slave-priority", c -> seen.add(c.getInt("replica-priority")));
    config.set(List.of("replica-priority", "7"));
    assertThat(seen).containsExactly(7);
  }

  @Test
  void listenersDoNotFireWhenSetFails() {
    List<Integer> seen = new ArrayList<>();
    config.onChange("timeout", c -> seen.add(c.getInt("timeout")));
    assertThatThrownBy(() -> config.set(List.of("timeout", "5", "port", "x")))
        .isInstanceOf(ConfigException.class);
    assertThat(seen).isEmpty();
  }
}
