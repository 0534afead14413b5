package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void bundledConfLoads() throws Exception {
    Config c = Config.load("conf/kiln.conf", List.of());
    assertThat(c.getInt("port")).isEqualTo(6379);
    assertThat(c.getString("save")).isEqualTo("3600 1 300 100 60 10000");
  }
}
