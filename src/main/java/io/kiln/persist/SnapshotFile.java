package io.kiln.persist;

import io.kiln.config.IoErrors;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file a capture's sink writes: a temp file, synced every sync step as it grows (the
 * incremental fsync directives), then fsynced and renamed over its target with the directory
 * fsynced, so a crash leaves either the old complete file or the new complete one; or, with no
 * target (a rehearsal's), removed at the end. A failed or abandoned capture removes it.
 *
 * <p>Owned by the snapshot writer's thread.
 */
final class SnapshotFile {
  private static final Logger log = LoggerFactory.getLogger(SnapshotFile.class);

  /**
   * rdb-save-incremental-fsync (and aof-rewrite-incremental-fsync) syncs the file each time it
   * has grown by this much (Redis: REDIS_AUTOSYNC_BYTES), so that the kernel writes the file out
   * as it grows instead of all at once at the final fsync.
   */
  static final long AUTOSYNC_BYTES = 4L << 20;

  private Path temp;
  private final Path target;
  private FileChannel channel;
  /** Bytes between two syncs as the file grows (0: none), and the size at the last one. */
  private final long syncStep;
  private long syncedBytes;

  private SnapshotFile(Path temp, Path target, FileChannel channel, long syncStep) {
    this.temp = temp;
    this.target = target;
    this.channel = channel;
    this.syncStep = syncStep;
  }

  /**
   * A file written at {@code temp} (truncated if it exists), renamed over {@code target};
   * {@code incrementalFsync}: synced every {@link #AUTOSYNC_BYTES} as it grows.
   */
  static SnapshotFile create(String temp, String target, boolean incrementalFsync)
      throws IOException {
    Path path = Path.of(temp);
    try {
      return new SnapshotFile(path, Path.of(target), FileChannel.open(path,
          StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING), incrementalFsync ? AUTOSYNC_BYTES : 0);
    } catch (IOException e) {
      throw openFailed(path, e);
    }
  }

  /**
   * A new file of its own in the shared temp dir ({@code prefix}'s: a random name, O_EXCL,
   * owner only), removed at the end.
   */
  static SnapshotFile createTemp(Path prefix, String suffix, long syncStep) throws IOException {
    try {
      Path f = Files.createTempFile(prefix.getParent(), prefix.getFileName().toString(), suffix);
      return new SnapshotFile(f, null, FileChannel.open(f, StandardOpenOption.WRITE), syncStep);
    } catch (IOException e) {
      throw openFailed(prefix, e);
    }
  }

  private static IOException openFailed(Path temp, IOException e) {
    return new IOException("Failed opening the temp RDB file " + temp.getFileName()
        + " (in server root dir " + temp.toAbsolutePath().getParent() + ") for saving: "
        + IoErrors.reason(e), e);
  }

  /** The file's content goes here (unbuffered: the sink gathers its writes). */
  OutputStream stream() {
    return Channels.newOutputStream(channel);
  }

  /**
   * The sink has written {@code bytes} in all: once that is a sync step past the last sync, what
   * {@code buffer} holds is pushed out and the file synced.
   */
  void grew(long bytes, Flushable buffer) throws IOException {
    if (syncStep > 0 && bytes - syncedBytes >= syncStep) {
      buffer.flush();
      channel.force(false);
      syncedBytes = bytes;
    }
  }

  /** Everything is written: fsync, then rename over the target (or remove a rehearsal's). */
  void commit() throws IOException {
    channel.force(true);
    channel.close();
    channel = null;
    Path written = temp;
    temp = null;
    if (target == null) {
      Files.delete(written); // the file was only ever the way to the disk
    } else {
      Files.move(written, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      SnapshotWriter.fsyncDirectory(target.toAbsolutePath().getParent());
    }
  }

  /** Closes and removes the temp file (nothing once committed). */
  void discard() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // the file is removed next
      }
      channel = null;
    }
    if (temp != null) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        log.warn("Could not remove temp file {}: {}", temp, IoErrors.reason(e));
      }
      temp = null;
    }
  }
}
