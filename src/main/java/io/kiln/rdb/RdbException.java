package io.kiln.rdb;

import java.io.IOException;

/**
 * A malformed, truncated or unsupported RDB file or DUMP payload. The message names the byte
 * offset (when known) and what was expected; {@link #offset()} gives the offset alone (-1 when
 * not applicable, as for DUMP payload errors whose message is Redis's reply text).
 * Created and thrown on the thread running the reader or writer.
 */
public class RdbException extends IOException {
  private static final long serialVersionUID = 1L;
  private final long offset;

  public RdbException(String message) {
    this(message, -1, null);
  }

  public RdbException(String message, long offset) {
    this(message, offset, null);
  }

  public RdbException(String message, long offset, Throwable cause) {
    super(message, cause);
    this.offset = offset;
  }

  /** Byte offset in the file where the problem was found, or -1. */
  public long offset() {
    return offset;
  }
}
