package io.kiln;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's first screen tells a newcomer how to run and test Kiln, and the bundled config it
 * points at loads. Runs on the test thread (Maven runs tests from the project directory).
 */
class ReadmeTest {
  private static final String RUN = "mvn -q package -DskipTests && java -jar target/kiln.jar conf/kiln.conf";
  private static final String TEST = "mvn verify";

  private static List<String> firstScreen() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("README.md"));
    return lines.subList(0, Math.min(40, lines.size()));
  }

  @Test
  void firstScreenHasTheRunCommand() throws Exception {
    assertThat(firstScreen()).anyMatch(l -> l.strip().equals(RUN));
  }

  @Test
  void firstScreenHasTheTestCommand() throws Exception {
    assertThat(firstScreen()).anyMatch(l -> l.strip().equals(TEST));
  }

  @Test
  void theBundledConfigLoads() throws Exception {
    Config config = Config.load("conf/kiln.conf", List.of());
    assertThat(config.getInt("port")).isEqualTo(6379);
  }
}
