package io.kiln.acl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An ACL user: its name, whether it is on, its passwords (SHA-256 hashes, hex), nopass, the
 * payload-sanitising flag and its selectors (the root one first). Connections hold a reference
 * to their user, so a change (ACL SETUSER) is applied in place and seen by their next command.
 *
 * <p>Owned by the shard event loop (see {@link Acl}); not thread-safe.
 */
public final class User {
  public final String name;
  private final Catalog catalog;
  boolean enabled;
  boolean nopass;
  /** 0: neither flag, 1: sanitize-payload, 2: skip-sanitize-payload. */
  int sanitize;
  List<String> passwords = new ArrayList<>();
  List<Selector> selectors = new ArrayList<>();
  /** The description ACL LIST shows, kept until the next change. */
  private String described;

  User(String name, Catalog catalog, boolean allChannelsByDefault) {
    this.name = name;
    this.catalog = catalog;
    selectors.add(new Selector(catalog, true, allChannelsByDefault));
  }

  /** A detached copy, to stage changes on. */
  User copy(String as) {
    User u = new User(as, catalog, false);
    u.assign(this);
    return u;
  }

  /** Takes every rule of {@code other} (not its name). */
  void assign(User other) {
    enabled = other.enabled;
    nopass = other.nopass;
    sanitize = other.sanitize;
    passwords = new ArrayList<>(other.passwords);
    selectors = new ArrayList<>();
    for (Selector s : other.selectors) {
      selectors.add(s.copy());
    }
    described = null;
  }

  public boolean enabled() {
    return enabled;
  }

  public boolean nopass() {
    return nopass;
  }

  /** The skip-sanitize-payload flag: RESTORE under sanitize-dump-payload clients trusts it. */
  public boolean skipsSanitizePayload() {
    return sanitize == 2;
  }

  Selector root() {
    return selectors.get(0);
  }

  /** Applies one rule of ACL SETUSER (a selector rule goes to the root selector). */
  void apply(byte[] op, boolean allChannelsByDefault) throws AclProblem {
    described = null;
    if (op.length == 0) {
      return;
    }
    String s = Acl.text(op);
    if (s.equalsIgnoreCase("on")) {
      enabled = true;
    } else if (s.equalsIgnoreCase("off")) {
      enabled = false;
    } else if (s.equalsIgnoreCase("skip-sanitize-payload")) {
      sanitize = 2;
    } else if (s.equalsIgnoreCase("sanitize-payload")) {
      sanitize = 1;
    } else if (s.equalsIgnoreCase("nopass")) {
      nopass = true;
      passwords.clear();
    } else if (s.equalsIgnoreCase("resetpass")) {
      nopass = false;
      passwords.clear();
    } else if (op[0] == '>' || op[0] == '#') {
      String hash = op[0] == '>' ? hash(op, 1) : checkedHash(op);
      if (!passwords.contains(hash)) {
        passwords.add(hash);
      }
      nopass = false;
    } else if (op[0] == '<' || op[0] == '!') {
      String hash = op[0] == '<' ? hash(op, 1) : checkedHash(op);
      if (!passwords.remove(hash)) {
        throw new AclProblem(AclProblem.Kind.NO_SUCH_PASSWORD);
      }
    } else if (op[0] == '(' && op[op.length - 1] == ')') {
      Selector sel = new Selector(catalog, false, allChannelsByDefault);
      for (byte[] rule : Acl.splitArgs(new String(op, 1, op.length - 2,
          StandardCharsets.ISO_8859_1))) {
        sel.apply(rule);
      }
      selectors.add(sel);
    } else if (s.equalsIgnoreCase("clearselectors")) {
      selectors.subList(1, selectors.size()).clear();
    } else if (s.equalsIgnoreCase("reset")) {
      nopass = false;
      passwords.clear();
      Selector root = root();
      root.allKeys = false;
      root.keys.clear();
      root.allChannels = allChannelsByDefault;
      root.channels.clear();
      enabled = false;
      sanitize = 1;
      selectors.subList(1, selectors.size()).clear();
      root.apply(Acl.bytes("-@all"));
    } else {
      root().apply(op);
    }
  }

  private static String checkedHash(byte[] op) throws AclProblem {
    if (op.length - 1 != 64) {
      throw new AclProblem(AclProblem.Kind.BAD_HASH);
    }
    for (int i = 1; i < op.length; i++) {
      byte c = op[i];
      if ((c < 'a' || c > 'f') && (c < '0' || c > '9')) {
        throw new AclProblem(AclProblem.Kind.BAD_HASH);
      }
    }
    return new String(op, 1, 64, StandardCharsets.ISO_8859_1);
  }

  /** SHA-256 of {@code bytes[from..]} in lowercase hex, as Redis stores passwords. */
  static String hash(byte[] bytes, int from) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(bytes, from, bytes.length - from);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has SHA-256
    }
  }

  /** True when {@code password} opens this user (not whether it is on). Constant time. */
  public boolean passwordMatches(byte[] password) {
    if (nopass) {
      return true;
    }
    byte[] given = hash(password, 0).getBytes(StandardCharsets.ISO_8859_1);
    boolean ok = false;
    for (String p : passwords) {
      ok |= MessageDigest.isEqual(given, p.getBytes(StandardCharsets.ISO_8859_1));
    }
    return ok;
  }

  /** The flags ACL GETUSER lists, in Redis's order. */
  public List<String> flags() {
    List<String> out = new ArrayList<>();
    out.add(enabled ? "on" : "off");
    if (nopass) {
      out.add("nopass");
    }
    if (sanitize == 2) {
      out.add("skip-sanitize-payload");
    } else if (sanitize == 1) {
      out.add("sanitize-payload");
    }
    return out;
  }

  public List<String> passwords() {
    return List.copyOf(passwords);
  }

  /** The rules after "user NAME " in ACL LIST and the ACL file. */
  public String describe() {
    if (described != null) {
      return described;
    }
    StringBuilder sb = new StringBuilder();
    for (String f : flags()) {
      sb.append(f).append(' ');
    }
    for (String p : passwords) {
      sb.append('#').append(p).append(' ');
    }
    for (Selector s : selectors) {
      if (s.root) {
        sb.append(s.describe());
      } else {
        sb.append(" (").append(s.describe()).append(')');
      }
    }
    described = sb.toString();
    return described;
  }

  /** GETUSER's fields of one selector: commands, keys, channels. */
  public List<String[]> selectorFields(int index) {
    Selector s = selectors.get(index);
    return List.of(new String[] {"commands", s.describeCommands()},
        new String[] {"keys", s.describeKeys()},
        new String[] {"channels", s.describeChannels()});
  }

  public int selectorCount() {
    return selectors.size();
  }

  // ---- checks ----

  /**
   * Whether this user may run a command: {@link Acl#OK}, or why not (DENIED_CMD, DENIED_KEY,
   * DENIED_CHANNEL) with the argument that failed in {@code where[0]}. The key and channel
   * lists are asked for only when a selector restricts them.
   */
  /** One selector allows every command, key and channel: every check passes. */
  public boolean unrestricted() {
    for (Selector s : selectors) {
      if (s.allCommands && s.allKeys && s.allChannels) {
        return true;
      }
    }
    return false;
  }

  public int check(AclRequest r, int[] where) {
    int relevant = Acl.DENIED_CMD;
    int lastIdx = 0;
    for (Selector s : selectors) {
      int[] idx = {0};
      int v = checkSelector(s, r, idx);
      if (v == Acl.OK) {
        return Acl.OK;
      }
      if (v > relevant || (v == relevant && idx[0] > lastIdx)) {
        relevant = v;
        lastIdx = idx[0];
      }
    }
    where[0] = lastIdx;
    return relevant;
  }

  /**
   * True when one selector allows the call and grants {@code needs} on every key (allkeys, or
   * a "*" pattern with that access): SORT's BY and GET need it.
   */
  public boolean unrestrictedAccess(AclRequest r, int needs) {
    for (Selector s : selectors) {
      if (checkSelector(s, r, new int[1]) == Acl.OK && s.unrestricted(needs)) {
        return true;
      }
    }
    return false;
  }

  private static int checkSelector(Selector s, AclRequest r, int[] idx) {
    if (!r.noAuth() && !s.canRun(r.entry(), r.argv())) {
      return Acl.DENIED_CMD;
    }
    if (!s.allKeys) {
      for (int[] k : r.keys()) {
        if (!s.canAccessKey(r.argv()[k[0]], k[1])) {
          idx[0] = k[0];
          return Acl.DENIED_KEY;
        }
      }
    }
    if (!s.allChannels) {
      for (int[] c : r.channels()) {
        if (!s.canAccessChannel(r.argv()[c[0]], c[1] != 0)) {
          idx[0] = c[0];
          return Acl.DENIED_CHANNEL;
        }
      }
    }
    return Acl.OK;
  }

  /** True when some selector lets this user use {@code channel} (a pattern compared literally). */
  public boolean canAccessChannel(byte[] channel, boolean isPattern) {
    for (Selector s : selectors) {
      if (s.canAccessChannel(channel, isPattern)) {
        return true;
      }
    }
    return false;
  }
}
