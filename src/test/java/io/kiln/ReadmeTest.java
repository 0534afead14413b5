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

  /**
   * The README's command list is the command table, family by family: adding or removing a
   * command without updating the README fails here, and the message prints the list to paste.
   */
  @Test
  void commandListMatchesTheCommandTable() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int from = readme.indexOf(START);
    int to = readme.indexOf(END);
    assertThat(from).as("README has a %s ... %s section", START, END).isNotNegative();
    String listed = readme.substring(from + START.length(), to).strip();
    assertThat(listed).as("README command list; expected:%n%s", expectedList())
        .isEqualTo(expectedList());
  }

  private static final String START = "<!-- commands:start -->";
  private static final String END = "<!-- commands:end -->";

  private static String expectedList() {
    java.util.Map<String, java.util.List<String>> byGroup = new java.util.LinkedHashMap<>();
    for (io.kiln.command.CommandSpec spec : io.kiln.command.CommandTable.standard().all()) {
      List<String> names = byGroup.computeIfAbsent(spec.group, g -> new java.util.ArrayList<>());
      if (spec.isContainer()) {
        if (spec.handler != null) {
          names.add(spec.name.toUpperCase(java.util.Locale.ROOT)); // bare COMMAND
        }
        for (String sub : spec.subcommands().keySet()) {
          names.add((spec.name + " " + sub).toUpperCase(java.util.Locale.ROOT));
        }
      } else {
        names.add(spec.name.toUpperCase(java.util.Locale.ROOT));
      }
    }
    StringBuilder sb = new StringBuilder();
    byGroup.forEach((group, names) -> sb.append("- **").append(group).append("**: ")
        .append(String.join(", ", names)).append('\n'));
    return sb.toString().strip();
  }

  @Test
  void theBundledConfigLoads() throws Exception {
    Config config = Config.load("conf/kiln.conf", List.of());
    assertThat(config.getInt("port")).isEqualTo(6379);
  }
}
