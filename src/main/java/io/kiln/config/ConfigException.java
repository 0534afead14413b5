package io.kiln.config;

/**
 * A configuration problem, with a one-line message meant for a human (startup errors) or for the
 * client verbatim (CONFIG SET / CONFIG REWRITE errors, Redis's text without the leading "-").
 *
 * <p>Threads: created and thrown on whichever thread loads or changes the configuration.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
