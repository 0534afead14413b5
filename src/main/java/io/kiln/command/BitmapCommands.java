package io.kiln.command;

/** The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD. Event loop. */
public final class BitmapCommands {
  private BitmapCommands() {}

  static void register(CommandTable t) {
  }
}
