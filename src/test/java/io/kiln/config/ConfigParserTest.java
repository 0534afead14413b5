package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfigParserTest {
  @Test
  void splitsOnWhitespace() throws Exception {
    assertThat(ConfigParser.splitArgs("  save  900\t1 ")).containsExactly("save", "900", "1");
  }

  @Test
  void doubleQuotesUnderstandEscapes() throws Exception {
    assertThat(ConfigParser.splitArgs("x \"a\\n\\r\\t\\b\\a\\\\\\\"z\\x41\""))
        .containsExactly("x", "a\n\r\t\b\u0007\\\"zA");
  }

  @Test
  void singleQuotesOnlyEscapeTheQuote() throws Exception {
    assertThat(ConfigParser.splitArgs("x 'it\\'s \\n'")).containsExactly("x", "it's \\n");
  }

  @Test
  void emptyQuotesAreAnEmptyArgument() throws Exception {
    assertThat(ConfigParser.splitArgs("save \"\"")).containsExactly("save", "");
  }

  @Test
  void unterminatedQuoteIsUnbalanced() {
    assertThatThrownBy(() -> ConfigParser.splitArgs("requirepass \"abc"))
        .isInstanceOf(ConfigParser.UnbalancedQuotes.class);
  }

  @Test
  void closingQuoteMustEndTheWord() {
    assertThatThrownBy(() -> ConfigParser.splitArgs("requirepass \"abc\"def"))
        .isInstanceOf(ConfigParser.UnbalancedQuotes.class);
  }

  @Test
  void rewriteQuotingReadsBack() throws Exception {
    String odd = "a b\"c\\d\n\u00e9";
    assertThat(ConfigParser.splitArgs("x " + ConfigRewriter.repr(odd))).containsExactly("x", odd);
  }
}
