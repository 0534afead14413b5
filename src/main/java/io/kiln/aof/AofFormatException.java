package io.kiln.aof;

/**
 * An append-only file whose command part is not a clean sequence of commands. {@link #kind()}
 * says which of Redis 7.0's two load failures it is: {@link Kind#TRUNCATED} ("Unexpected end of
 * file reading the append only file": the file ends inside a command, what aof-load-truncated
 * repairs) or {@link Kind#BAD_FORMAT} ("Bad file format reading the append only file": bytes
 * that are no command). {@link #offset()} is where a fix would truncate: the end of the last
 * complete command, i.e. the valid prefix. The message also names the offset of the offending
 * byte. Created and thrown on the thread running {@link AofReader} (the loader thread).
 */
public final class AofFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Which of Redis's two load failures this is. */
  public enum Kind {
    /** The file ends in the middle of a command. */
    TRUNCATED,
    /** Something that is not a well-formed command. */
    BAD_FORMAT
  }

  private final Kind kind;
  private final long offset;

  public AofFormatException(Kind kind, long offset, String message) {
    super(message);
    this.kind = kind;
    this.offset = offset;
  }

  public Kind kind() {
    return kind;
  }

  /** The file offset of the start of the bad or incomplete command (the valid prefix length). */
  public long offset() {
    return offset;
  }
}
