package io.kiln.persist;

/**
 * Why the dump file could not be loaded at startup: the message is the whole fatal log text
 * (file, offset, recovery advice). Fails {@code Kiln.start}; the launcher then exits non-zero.
 * Created on the loader thread or the shard's event loop; immutable.
 */
public final class LoadFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LoadFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
