package io.kiln.rdb;

import io.kiln.resp.Errors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * DUMP / RESTORE payloads exactly as Redis 7.0 makes them: the value's RDB type byte and body,
 * then the RDB version (10) as 2 bytes little endian, then the CRC-64 of all of that as 8 bytes
 * little endian. Stateless; any thread (the event loop may call it for small values).
 */
public final class Dump {
  private Dump() {}

  /** Serializes the function libraries {@code codes} as FUNCTION DUMP does. */
  public static byte[] serializeFunctions(List<byte[]> codes, RdbWriter.Options options) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RdbWriter w = new RdbWriter(bytes, options);
    try {
      for (byte[] code : codes) {
        w.writeFunction(code);
      }
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen on a byte array
    }
    return withFooter(bytes.toByteArray());
  }

  /**
   * The libraries of a FUNCTION RESTORE payload, in order, up to the first record that does
   * not read (then {@code error} is Redis's text for it, without "ERR "); or only an error when
   * the footer is wrong. Redis creates each library as it reads it, so a library's own error
   * comes before a later record's.
   */
  public record FunctionRecords(List<byte[]> codes, String error) {}

  public static FunctionRecords readFunctions(byte[] payload) {
    if (!verify(payload)) {
      return new FunctionRecords(List.of(),
          Errors.DUMP_PAYLOAD_WRONG.substring(Errors.ERR_PREFIX.length()));
    }
    List<byte[]> codes = new ArrayList<>();
    // the records are read from the whole payload (a record may run into the footer, as in
    // Redis), while more than the footer's 10 bytes are left
    RdbReader r = new RdbReader(payload, payload.length);
    while (payload.length - r.offset() > 10) {
      int type;
      try {
        type = r.readType();
      } catch (RdbException e) {
        return new FunctionRecords(codes, Errors.RESTORE_READ_TYPE);
      }
      if (type != Rdb.OPCODE_FUNCTION && type != Rdb.OPCODE_FUNCTION2) {
        return new FunctionRecords(codes, Errors.RESTORE_NOT_FUNCTION);
      }
      try {
        codes.add(r.readFunction(type, true));
      } catch (RdbException e) {
        return new FunctionRecords(codes, e.getMessage());
      }
    }
    return new FunctionRecords(codes, null);
  }

  /** Serializes one value as DUMP does. */
  public static byte[] serialize(RdbValue value, RdbWriter.Options options) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RdbWriter w = new RdbWriter(bytes, options);
    try {
      int type = w.typeFor(value);
      w.writeLength(type); // a single byte: types are below 64
      w.writeValue(type, value);
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen on a byte array
    }
    return withFooter(bytes.toByteArray());
  }

  /** {@code body}, then the RDB version (2 bytes) and the CRC-64 of both (8 bytes, LE). */
  private static byte[] withFooter(byte[] body) {
    byte[] out = new byte[body.length + 10];
    System.arraycopy(body, 0, out, 0, body.length);
    out[body.length] = (byte) Rdb.VERSION;
    out[body.length + 1] = 0;
    long crc = Crc64.update(0, out, 0, body.length + 2);
    for (int i = 0; i < 8; i++) {
      out[body.length + 2 + i] = (byte) (crc >>> (8 * i));
    }
    return out;
  }

  /** True when the footer (version and CRC) is acceptable, as Redis's verifyDumpPayload. */
  public static boolean verify(byte[] payload) {
    return verify(payload, true);
  }

  /** {@link #verify(byte[])}; {@code checkCrc} false accepts any CRC (the version still counts). */
  private static boolean verify(byte[] payload, boolean checkCrc) {
    int len = payload.length;
    if (len < 10) {
      return false;
    }
    int ver = (payload[len - 10] & 0xff) | ((payload[len - 9] & 0xff) << 8);
    if (ver > Rdb.VERSION) {
      return false;
    }
    if (!checkCrc) {
      return true;
    }
    long crc = Crc64.update(0, payload, 0, len - 8);
    for (int i = 0; i < 8; i++) {
      if ((byte) (crc >>> (8 * i)) != payload[len - 8 + i]) {
        return false;
      }
    }
    return true;
  }

  /** Parses a RESTORE payload, validated in full: see {@link #restore(byte[], byte[], boolean,
   * boolean, LongConsumer)}. */
  public static RdbValue restore(byte[] payload) throws RdbException {
    return restore(payload, new byte[0], true, true, n -> { });
  }

  /**
   * Parses the RESTORE payload of {@code key} (named in what the failure's cause says).
   * {@code deep}: listpacks and intsets are validated in full (sanitize-dump-payload);
   * {@code checkCrc} false: the CRC is not checked (DEBUG SET-SKIP-CHECKSUM-VALIDATION).
   * {@code sanitized} is told how many blobs were validated in full, whether or not they passed
   * (INFO's dump_payload_sanitizations).
   *
   * @throws RdbException whose message is Redis's error reply
   *     ({@link Errors#DUMP_PAYLOAD_WRONG} or {@link Errors#BAD_DATA_FORMAT}); for a body that
   *     does not read, its cause says what is wrong
   */
  public static RdbValue restore(byte[] payload, byte[] key, boolean deep, boolean checkCrc,
      LongConsumer sanitized) throws RdbException {
    if (!verify(payload, checkCrc)) {
      throw new RdbException(Errors.DUMP_PAYLOAD_WRONG);
    }
    RdbReader r = new RdbReader(payload, payload.length - 10).deepSanitization(deep);
    RdbValue v;
    try {
      v = r.readDumpValue(key);
    } catch (RdbException e) {
      throw new RdbException(Errors.BAD_DATA_FORMAT, -1, e);
    } finally {
      sanitized.accept(r.sanitizations());
    }
    if (v == null) {
      // an empty collection: refused, as Redis refuses it
      throw new RdbException(Errors.BAD_DATA_FORMAT, -1,
          new RdbException("empty keys are not allowed"));
    }
    return v;
  }
}
