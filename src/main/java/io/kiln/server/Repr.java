package io.kiln.server;

/**
 * Quotes bytes the way Redis's sdscatrepr does (MONITOR lines, DEBUG output): printable ASCII as
 * is, \\ and \" escaped, \n \r \t \a \b by name, other bytes as \xHH. Stateless; any thread.
 */
public final class Repr {
  private Repr() {}

  public static String quote(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length + 2).append('"');
    for (byte x : b) {
      int c = x & 0xff;
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case 7 -> sb.append("\\a");
        case '\b' -> sb.append("\\b");
        default -> {
          if (c >= 32 && c < 127) {
            sb.append((char) c);
          } else {
            sb.append(String.format("\\x%02x", c));
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
