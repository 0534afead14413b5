package io.kiln.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * An I/O failure in the words of the C library (strerror), as Redis's log lines and replies give
 * it: Java's messages name only the path ("/data/dump.rdb") or the exception's class. Stateless;
 * any thread.
 */
public final class IoErrors {
  private IoErrors() {}

  /** "No such file or directory", "Permission denied", the file system's reason, else the message. */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
