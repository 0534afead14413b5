package io.kiln.rdb;

import java.util.List;

/**
 * A value in the simple forms the RDB layer exchanges with the rest of Kiln: byte[] for
 * strings, a list of byte[] for lists and sets, field/value pairs for hashes, member/score pairs
 * for sorted sets. Integers held in compact encodings come out as their decimal text. Immutable
 * by convention (the arrays are not copied); created on the loader thread or by the event loop
 * for the snapshot worker, then handed over whole.
 */
public sealed interface RdbValue {

  /** The value's Redis type name, as TYPE replies. */
  String typeName();

  /** A string value. */
  record Str(byte[] value) implements RdbValue {
    @Override
    public String typeName() {
      return "string";
    }
  }

  /** A list value, head first. */
  record ListValue(List<byte[]> elements) implements RdbValue {
    @Override
    public String typeName() {
      return "list";
    }
  }

  /** A set value (members in no particular order, no duplicates). */
  record SetValue(List<byte[]> members) implements RdbValue {
    @Override
    public String typeName() {
      return "set";
    }
  }

  /** A hash value: field/value pairs in order (no duplicate fields). */
  record HashValue(List<FieldValue> entries) implements RdbValue {
    @Override
    public String typeName() {
      return "hash";
    }
  }

  /** A sorted set value: member/score pairs (no duplicate members, no NaN scores). */
  record ZSetValue(List<ScoredMember> entries) implements RdbValue {
    @Override
    public String typeName() {
      return "zset";
    }
  }

  /** One hash entry. */
  record FieldValue(byte[] field, byte[] value) {}

  /** One sorted set entry. */
  record ScoredMember(byte[] member, double score) {}
}
