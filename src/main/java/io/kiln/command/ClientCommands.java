package io.kiln.command;

import io.kiln.resp.Numbers;
import io.kiln.server.Client;

/**
 * CLIENT and its subcommands (connection family): ID, SETNAME, GETNAME, LIST, INFO, KILL,
 * SETINFO, REPLY. Event loop.
 */
public final class ClientCommands {
  private ClientCommands() {}

  static final String BAD_NAME =
      "ERR Client names cannot contain spaces, newlines or special characters.";

  static void register(CommandTable t) {
    CommandSpec client = t.container("client", -2, "");
    t.sub(client, "id", 2, "noscript loading stale", 0, 0, 0, (c, a) -> c.out.integer(c.id));
    t.sub(client, "setname", 3, "noscript loading stale", 0, 0, 0, ClientCommands::setname);
    t.sub(client, "getname", 2, "noscript loading stale", 0, 0, 0,
        (c, a) -> c.out.bulk(c.name == null ? null
            : c.name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
  }

  /** Names are printable ASCII without spaces (Redis's rule). */
  static boolean validName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (ch < '!' || ch > '~') {
        return false;
      }
    }
    return true;
  }

  static void setname(Client c, byte[][] argv) {
    String name = Numbers.ascii(argv[2]);
    if (!validName(name)) {
      c.error(BAD_NAME);
      return;
    }
    c.name = name.isEmpty() ? null : name;
    c.ok();
  }
}
