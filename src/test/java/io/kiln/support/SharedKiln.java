package io.kiln.support;

import io.kiln.server.Server;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Kiln for a whole test class (a start costs), started before the class's first
 * {@code @BeforeAll} and stopped after its last {@code @AfterAll}:
 * {@code @RegisterExtension static final SharedKiln kiln = new SharedKiln("directive", "value");}
 * Test thread.
 */
public final class SharedKiln implements BeforeAllCallback, AfterAllCallback {
  private final String[] directives;
  private TestKiln server;

  public SharedKiln(String... directives) {
    this.directives = directives;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = TestKiln.start(directives);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    server.close();
  }

  public int port() {
    return server.port();
  }

  public Server kiln() {
    return server.kiln();
  }

  public RespClient client() {
    return server.client();
  }
}
