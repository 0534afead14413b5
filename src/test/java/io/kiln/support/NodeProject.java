package io.kiln.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A node project of the tests (src/test/node/NAME: package.json, package-lock.json, scripts)
 * installed into target/NAME-node with {@code npm ci} (the npm registry must be reachable the
 * first time; a lock file unchanged since the last install skips it), and node processes run in
 * it. Tests that use one skip where node or npm is absent. Test thread.
 */
public final class NodeProject {
  private NodeProject() {}

  /** What a process printed (output and errors together) and its exit status. */
  public record Result(int exit, String output) {}

  /**
   * Installs src/test/node/{@code name} (its {@code module} in node_modules tells an earlier
   * install) with the given scripts; skips the calling test where node/npm are absent.
   */
  public static Path install(String name, String module, List<String> scripts,
      String... npmOptions) throws Exception {
    Assumptions.assumeTrue(runs("node", "--version") && runs("npm", "--version"), "node/npm are"
        + " not installed: " + name + " test skipped (Debian: apt-get install nodejs npm)");
    Path source = Path.of("src/test/node", name);
    Path dir = Path.of("target", name + "-node");
    Files.createDirectories(dir);
    boolean fresh = Files.isDirectory(dir.resolve("node_modules").resolve(module))
        && Files.exists(dir.resolve("package-lock.json"))
        && Files.mismatch(source.resolve("package-lock.json"),
            dir.resolve("package-lock.json")) == -1;
    List<String> files = new ArrayList<>(List.of("package.json", "package-lock.json"));
    files.addAll(scripts);
    for (String f : files) {
      Files.copy(source.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!fresh) {
      List<String> npm = new ArrayList<>(List.of("npm", "ci", "--no-audit", "--no-fund"));
      npm.addAll(List.of(npmOptions));
      Result r = run(dir, 180, npm.toArray(new String[0]));
      assertThat(r.exit()).as("npm ci: %s", r.output()).isZero();
    }
    return dir;
  }

  static boolean runs(String... command) {
    try {
      return run(Path.of("."), 30, command).exit() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /** Runs {@code command} in {@code dir}, killed past the timeout. */
  public static Result run(Path dir, int timeoutSeconds, String... command) throws Exception {
    File log = Files.createTempFile("kiln-node", ".log").toFile();
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Result(-1, "timed out after " + timeoutSeconds + " s: "
            + Files.readString(log.toPath(), StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } finally {
      log.delete();
    }
  }
}
