package io.kiln.acl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One set of permissions of a user: the commands it may run (a bit per command id, plus first
 * arguments allowed for an otherwise denied command), the key patterns (each for reading,
 * writing or both) and the channel patterns. A user has a root selector and may have more
 * (Redis 7's "(...)" rules); a command is allowed when one selector allows all of it.
 *
 * <p>Owned by the shard event loop that runs ACL commands and checks (see {@link Acl}); not
 * thread-safe.
 */
public final class Selector {
  /** Key permission bits (a pattern's, and what a key's use needs). */
  public static final int READ = 1;
  public static final int WRITE = 2;
  public static final int ALL = READ | WRITE;

  /** A key pattern and what it lets a command do with the keys it matches. */
  static final class KeyPattern {
    final byte[] pattern;
    int perm;

    KeyPattern(byte[] pattern, int perm) {
      this.pattern = pattern;
      this.perm = perm;
    }

    String describe() {
      String prefix = perm == ALL ? "~" : perm == READ ? "%R~" : "%W~";
      return prefix + Acl.text(pattern);
    }
  }

  private final Catalog catalog;
  final boolean root;
  boolean allKeys;
  boolean allChannels;
  boolean allCommands;
  /** Bits of the commands allowed; bit catalog.bits() is "commands added later" (+@all). */
  BitSet commands = new BitSet();
  /** First arguments allowed for a command whose bit is clear, by command id. */
  Map<Integer, List<String>> firstArgs = new HashMap<>();
  List<KeyPattern> keys = new ArrayList<>();
  List<byte[]> channels = new ArrayList<>();
  /**
   * The categories without commands here ({@link Catalog#emptyCategories}) this selector allows:
   * +@all and +@stream set a bit, -@all and -@stream clear it; only descriptions read it.
   */
  long emptyAllowed;

  Selector(Catalog catalog, boolean root, boolean allChannelsByDefault) {
    this.catalog = catalog;
    this.root = root;
    this.allChannels = allChannelsByDefault;
  }

  Selector copy() {
    Selector s = new Selector(catalog, root, allChannels);
    s.allKeys = allKeys;
    s.allCommands = allCommands;
    s.commands = (BitSet) commands.clone();
    for (Map.Entry<Integer, List<String>> e : firstArgs.entrySet()) {
      s.firstArgs.put(e.getKey(), new ArrayList<>(e.getValue()));
    }
    for (KeyPattern k : keys) {
      s.keys.add(new KeyPattern(k.pattern, k.perm));
    }
    s.channels = new ArrayList<>(channels);
    s.emptyAllowed = emptyAllowed;
    return s;
  }

  // ---- rules ----

  /** Applies one selector rule ({@code +get}, {@code ~key*}, {@code resetchannels}...). */
  void apply(byte[] op) throws AclProblem {
    String s = Acl.text(op);
    if (s.equalsIgnoreCase("allkeys") || s.equals("~*")) {
      allKeys = true;
      keys.clear();
    } else if (s.equalsIgnoreCase("resetkeys")) {
      allKeys = false;
      keys.clear();
    } else if (s.equalsIgnoreCase("allchannels") || s.equals("&*")) {
      allChannels = true;
      channels.clear();
    } else if (s.equalsIgnoreCase("resetchannels")) {
      allChannels = false;
      channels.clear();
    } else if (s.equalsIgnoreCase("allcommands") || s.equalsIgnoreCase("+@all")) {
      commands.set(0, catalog.bits() + 1);
      allCommands = true;
      firstArgs.clear();
      emptyAllowed = catalog.emptyCategories();
    } else if (s.equalsIgnoreCase("nocommands") || s.equalsIgnoreCase("-@all")) {
      commands.clear();
      allCommands = false;
      firstArgs.clear();
      emptyAllowed = 0;
    } else if (!s.isEmpty() && (s.charAt(0) == '~' || s.charAt(0) == '%')) {
      addKeyPattern(op);
    } else if (!s.isEmpty() && s.charAt(0) == '&') {
      if (allChannels) {
        throw new AclProblem(AclProblem.Kind.CHANNEL_AFTER_ALL);
      }
      byte[] pattern = Arrays.copyOfRange(op, 1, op.length);
      if (Acl.hasSpaces(pattern)) {
        throw new AclProblem(AclProblem.Kind.SYNTAX);
      }
      boolean known = false;
      for (byte[] c : channels) {
        known |= Arrays.equals(c, pattern);
      }
      if (!known) {
        channels.add(pattern);
      }
      allChannels = false;
    } else if (s.length() >= 1 && s.charAt(0) == '+' && !s.startsWith("+@")) {
      allow(s.substring(1));
    } else if (s.length() >= 1 && s.charAt(0) == '-' && !s.startsWith("-@")) {
      Catalog.Entry e = catalog.lookup(s.substring(1));
      if (e == null) {
        throw new AclProblem(AclProblem.Kind.UNKNOWN_NAME);
      }
      change(e, false);
    } else if (s.startsWith("+@") || s.startsWith("-@")) {
      long bit = Catalog.categoryBit(s.substring(2));
      if (bit == 0) {
        throw new AclProblem(AclProblem.Kind.UNKNOWN_NAME);
      }
      changeCategory(bit, s.charAt(0) == '+');
    } else {
      throw new AclProblem(AclProblem.Kind.SYNTAX);
    }
  }

  private void addKeyPattern(byte[] op) throws AclProblem {
    if (allKeys) {
      throw new AclProblem(AclProblem.Kind.KEY_AFTER_ALL);
    }
    int perm = 0;
    int offset = 1;
    if (op[0] == '%') {
      for (; offset < op.length; offset++) {
        char c = Character.toUpperCase((char) (op[offset] & 0xff));
        if (c == 'R' && (perm & READ) == 0) {
          perm |= READ;
        } else if (c == 'W' && (perm & WRITE) == 0) {
          perm |= WRITE;
        } else if (op[offset] == '~') {
          offset++;
          break;
        } else {
          throw new AclProblem(AclProblem.Kind.SYNTAX);
        }
      }
      if (perm == 0) {
        // "%~x": no permission at all would describe as nothing ACL SETUSER reads back (Redis
        // stops the server there); refused as a syntax error. "%R" alone is an empty pattern.
        throw new AclProblem(AclProblem.Kind.SYNTAX);
      }
    } else {
      perm = ALL;
    }
    byte[] pattern = Arrays.copyOfRange(op, offset, op.length);
    if (Acl.hasSpaces(pattern)) {
      throw new AclProblem(AclProblem.Kind.SYNTAX);
    }
    for (KeyPattern k : keys) {
      if (Arrays.equals(k.pattern, pattern)) {
        k.perm |= perm;
        allKeys = false;
        return;
      }
    }
    keys.add(new KeyPattern(pattern, perm));
    allKeys = false;
  }

  /** {@code +name}, {@code +container|sub} or {@code +command|first-arg}. */
  private void allow(String name) throws AclProblem {
    int bar = name.lastIndexOf('|');
    if (bar < 0) {
      Catalog.Entry e = catalog.lookup(name);
      if (e == null) {
        throw new AclProblem(AclProblem.Kind.UNKNOWN_NAME);
      }
      change(e, true);
      return;
    }
    Catalog.Entry e = catalog.lookup(name.substring(0, bar));
    if (e == null) {
      throw new AclProblem(AclProblem.Kind.UNKNOWN_NAME);
    }
    if (e.parent() != null) {
      throw new AclProblem(AclProblem.Kind.FIRST_ARG_OF_SUBCOMMAND);
    }
    String sub = name.substring(bar + 1);
    if (sub.isEmpty()) {
      throw new AclProblem(AclProblem.Kind.SYNTAX);
    }
    if (!e.subs().isEmpty()) {
      Catalog.Entry s = catalog.lookup(name);
      if (s == null) {
        throw new AclProblem(AclProblem.Kind.UNKNOWN_NAME);
      }
      change(s, true);
      return;
    }
    Acl.log.warn("Deprecation warning: Allowing a first arg of an otherwise blocked command is a "
        + "misuse of ACL and may get disabled in the future (offender: +{})", name);
    List<String> args = firstArgs.computeIfAbsent(e.id(), k -> new ArrayList<>());
    for (String a : args) {
      if (a.equalsIgnoreCase(sub)) {
        return;
      }
    }
    args.add(sub);
  }

  private void setBit(int id, boolean on) {
    if (on) {
      commands.set(id);
    } else {
      commands.clear(id);
      allCommands = false;
    }
  }

  /** Allows or denies a command; a container's subcommands with it. */
  void change(Catalog.Entry e, boolean allow) {
    setBit(e.id(), allow);
    firstArgs.remove(e.id());
    for (Catalog.Entry s : e.subs()) {
      setBit(s.id(), allow);
    }
  }

  void changeCategory(long bit, boolean allow) {
    if ((catalog.emptyCategories() & bit) != 0) {
      emptyAllowed = allow ? emptyAllowed | bit : emptyAllowed & ~bit;
      if (!allow) {
        allCommands = false;
      }
    }
    for (Catalog.Entry e : catalog.commands()) {
      if (e.in(bit)) {
        change(e, allow);
      }
      for (Catalog.Entry s : e.subs()) {
        if (s.in(bit)) {
          change(s, allow);
        }
      }
    }
  }

  // ---- checks ----

  boolean canRun(Catalog.Entry e, byte[][] argv) {
    if (allCommands || commands.get(e.id())) {
      return true;
    }
    List<String> args = firstArgs.get(e.id());
    if (args == null || argv.length < 2) {
      return false;
    }
    int idx = e.parent() != null ? 2 : 1;
    if (idx >= argv.length) {
      return false;
    }
    String given = Acl.text(argv[idx]);
    for (String a : args) {
      if (a.equalsIgnoreCase(given)) {
        return true;
      }
    }
    return false;
  }

  boolean canAccessKey(byte[] key, int needs) {
    if (allKeys) {
      return true;
    }
    for (KeyPattern k : keys) {
      if ((k.perm & needs) == needs && catalog.matches(k.pattern, key)) {
        return true;
      }
    }
    return false;
  }

  /** Access {@code needs} to every key: allkeys, or a "*" pattern granting it. */
  boolean unrestricted(int needs) {
    if (allKeys) {
      return true;
    }
    for (KeyPattern k : keys) {
      if ((k.perm & needs) == needs && k.pattern.length == 1 && k.pattern[0] == '*') {
        return true;
      }
    }
    return false;
  }

  /** A channel (or, for PSUBSCRIBE, a pattern compared literally) against the channel rules. */
  boolean canAccessChannel(byte[] channel, boolean isPattern) {
    if (allChannels) {
      return true;
    }
    for (byte[] p : channels) {
      if (isPattern ? Arrays.equals(p, channel) : catalog.matches(p, channel)) {
        return true;
      }
    }
    return false;
  }

  // ---- descriptions ----

  /** Keys, channels and command rules, as ACL LIST shows a selector. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    if (allKeys) {
      sb.append("~* ");
    } else {
      for (KeyPattern k : keys) {
        sb.append(k.describe()).append(' ');
      }
    }
    if (allChannels) {
      sb.append("&* ");
    } else {
      sb.append("resetchannels ");
      for (byte[] c : channels) {
        sb.append('&').append(Acl.text(c)).append(' ');
      }
    }
    sb.append(describeCommands());
    return sb.toString();
  }

  /** ACL GETUSER's "keys" field. */
  String describeKeys() {
    if (allKeys) {
      return "~*";
    }
    List<String> out = new ArrayList<>();
    for (KeyPattern k : keys) {
      out.add(k.describe());
    }
    return String.join(" ", out);
  }

  /** ACL GETUSER's "channels" field. */
  String describeChannels() {
    if (allChannels) {
      return "&*";
    }
    List<String> out = new ArrayList<>();
    for (byte[] c : channels) {
      out.add("&" + Acl.text(c));
    }
    return String.join(" ", out);
  }

  /**
   * The command rules that rebuild this selector's command bits: +@all or -@all, then the
   * categories that fit best (Redis's greedy choice), then single commands and first arguments.
   */
  String describeCommands() {
    StringBuilder rules = new StringBuilder();
    Selector fake = new Selector(catalog, false, false);
    boolean additive = !commands.get(catalog.bits());
    if (additive) {
      rules.append("-@all ");
    } else {
      rules.append("+@all ");
      fake.commands.set(0, catalog.bits() + 1);
    }
    BitSet temp = (BitSet) commands.clone();
    boolean[] applied = new boolean[Catalog.CATEGORIES.size()];
    while (true) {
      int best = -1;
      long minDiff = Integer.MAX_VALUE;
      long maxSame = 0;
      for (int j = 0; j < applied.length; j++) {
        if (applied[j]) {
          continue;
        }
        long[] onOff = count(temp, 1L << j);
        long diff = additive ? onOff[1] : onOff[0];
        long same = additive ? onOff[0] : onOff[1];
        if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best < 0) {
        break;
      }
      fake.changeCategory(1L << best, additive);
      Selector t = new Selector(catalog, false, false);
      t.commands = temp;
      t.changeCategory(1L << best, !additive);
      rules.append(additive ? "+@" : "-@").append(Catalog.CATEGORIES.get(best)).append(' ');
      applied[best] = true;
    }
    long empty = catalog.emptyCategories();
    for (int j = 0; j < Catalog.CATEGORIES.size(); j++) {
      long bit = 1L << j;
      if ((empty & bit) != 0 && ((emptyAllowed & bit) != 0) == additive) {
        rules.append(additive ? "+@" : "-@").append(Catalog.CATEGORIES.get(j)).append(' ');
      }
    }
    for (Catalog.Entry e : catalog.commands()) {
      singleCommand(e, fake, rules);
      for (Catalog.Entry s : e.subs()) {
        singleCommand(s, fake, rules);
      }
      if (!commands.get(e.id())) {
        for (String a : firstArgs.getOrDefault(e.id(), List.of())) {
          rules.append('+').append(e.fullName()).append('|').append(a).append(' ');
        }
      }
    }
    rules.setLength(rules.length() - 1);
    BitSet mine = (BitSet) commands.clone();
    if (!mine.equals(fake.commands)) {
      // never describe rules that would not rebuild these bits (Redis stops the server here)
      throw new IllegalStateException("ACL rules do not rebuild the command bits: " + rules);
    }
    return rules.toString();
  }

  private void singleCommand(Catalog.Entry e, Selector fake, StringBuilder rules) {
    boolean mine = commands.get(e.id());
    if (mine != fake.commands.get(e.id())) {
      rules.append(mine ? '+' : '-').append(e.fullName()).append(' ');
      fake.change(e, mine);
    }
  }

  /** {on, off}: commands of a category whose bit is set, and clear, in {@code bits}. */
  private long[] count(BitSet bits, long category) {
    long on = 0;
    long off = 0;
    for (Catalog.Entry e : catalog.all()) {
      if (e.in(category)) {
        if (bits.get(e.id())) {
          on++;
        } else {
          off++;
        }
      }
    }
    return new long[] {on, off};
  }
}
