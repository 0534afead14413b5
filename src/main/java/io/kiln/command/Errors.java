package io.kiln.command;

/**
 * Transitional aliases, not a catalogue: the error catalogue is {@link io.kiln.resp.Errors}. The
 * ZSet family's files (split apart on another branch) still name {@code Errors} unqualified from
 * this package; each name here is the catalogue's own constant, no text of its own. Delete this
 * class once those files import {@code io.kiln.resp.Errors}.
 */
final class Errors {
  private Errors() {}

  static final String SYNTAX = io.kiln.resp.Errors.SYNTAX;
  static final String WRONGTYPE = io.kiln.resp.Errors.WRONGTYPE;
  static final String NOT_INTEGER = io.kiln.resp.Errors.NOT_INTEGER;
  static final String NOT_FLOAT = io.kiln.resp.Errors.NOT_FLOAT;
  static final String INVALID_CURSOR = io.kiln.resp.Errors.INVALID_CURSOR;
}
