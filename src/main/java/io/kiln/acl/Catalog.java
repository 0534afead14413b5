package io.kiln.acl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the ACL knows of the command table: each command and subcommand with its id (an index in
 * a user's command bits), its full name ("get", "config|get") and its ACL categories, in the
 * table's order (each command followed by its subcommands). Built once by the boot code from the
 * command table, immutable after; any thread may read it.
 */
public final class Catalog {
  /** The ACL categories in Redis 7.0's order (ACL CAT lists them so; bit i is category i). */
  public static final List<String> CATEGORIES = List.of("keyspace", "read", "write", "set",
      "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub",
      "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting");

  /** One command or subcommand. {@code subs} is empty for a subcommand or a plain command. */
  public static final class Entry {
    private final int id;
    private final String fullName;
    private final long categories;
    private final Entry parent;
    private final List<Entry> subs;

    Entry(int id, String fullName, long categories, Entry parent, List<Entry> subs) {
      this.id = id;
      this.fullName = fullName;
      this.categories = categories;
      this.parent = parent;
      this.subs = subs;
    }

    public int id() {
      return id;
    }

    public String fullName() {
      return fullName;
    }

    public long categories() {
      return categories;
    }

    /** The container of a subcommand, null for a command. */
    public Entry parent() {
      return parent;
    }

    public List<Entry> subs() {
      return subs;
    }

    public boolean in(long categoryBit) {
      return (categories & categoryBit) != 0;
    }

    @Override
    public String toString() {
      return fullName;
    }
  }

  private final List<Entry> top;
  private final List<Entry> all;
  private final Map<String, Entry> byName;
  private final int bits;
  private final Entry[] byId;
  private final java.util.function.BiPredicate<byte[], byte[]> glob;

  private Catalog(List<Entry> top, java.util.function.BiPredicate<byte[], byte[]> glob) {
    this.glob = glob;
    this.top = List.copyOf(top);
    List<Entry> everything = new ArrayList<>();
    Map<String, Entry> names = new HashMap<>();
    int max = 0;
    for (Entry e : top) {
      everything.add(e);
      names.put(e.fullName(), e);
      max = Math.max(max, e.id());
      for (Entry s : e.subs()) {
        everything.add(s);
        names.put(s.fullName(), s);
        max = Math.max(max, s.id());
      }
    }
    this.all = Collections.unmodifiableList(everything);
    this.byId = new Entry[max + 1];
    for (Entry e : everything) {
      byId[e.id()] = e;
    }
    this.byName = Map.copyOf(names);
    this.bits = max + 1;
  }

  /** The bit of a category name (any case), or 0 when there is none by that name. */
  public static long categoryBit(String name) {
    for (int i = 0; i < CATEGORIES.size(); i++) {
      if (CATEGORIES.get(i).equalsIgnoreCase(name)) {
        return 1L << i;
      }
    }
    return 0;
  }

  /** The command or subcommand of a full name, any case ("CONFIG|get"), or null. */
  public Entry lookup(String fullName) {
    return byName.get(fullName.toLowerCase(Locale.ROOT));
  }

  /** The command or subcommand of an id, or null. */
  public Entry byId(int id) {
    return id >= 0 && id < byId.length ? byId[id] : null;
  }

  /** Commands in table order (their subcommands under each). */
  public List<Entry> commands() {
    return top;
  }

  /** Every command and subcommand, each command followed by its subcommands. */
  public List<Entry> all() {
    return all;
  }

  /**
   * Command ids run from 0 to bits() - 1; bit {@code bits()} is the reserved one that only
   * {@code +@all} sets (the user may run commands added later).
   */
  public int bits() {
    return bits;
  }

  /**
   * Categories with no command in this table (Kiln has no streams: @stream): a user's rules
   * still remember them, so its description keeps what was set.
   */
  public long emptyCategories() {
    long used = 0;
    for (Entry e : all) {
      used |= e.categories();
    }
    return ((1L << CATEGORIES.size()) - 1) & ~used;
  }

  /** Redis's glob match of a key or channel against an ACL pattern (case-sensitive). */
  public boolean matches(byte[] pattern, byte[] text) {
    return glob.test(pattern, text);
  }

  /** Builds a catalog; the command table adds each command then its subcommands. */
  public static final class Builder {
    private final List<Entry> top = new ArrayList<>();
    private Entry current;
    private List<Entry> currentSubs;
    private final java.util.function.BiPredicate<byte[], byte[]> glob;

    /** {@code glob}: Redis's stringmatch (the command layer's), for key and channel patterns. */
    public Builder(java.util.function.BiPredicate<byte[], byte[]> glob) {
      this.glob = glob;
    }

    /** A command (its subcommands follow with {@link #sub}). */
    public Builder command(int id, String name, List<String> categories) {
      finish();
      currentSubs = new ArrayList<>();
      current = new Entry(id, name.toLowerCase(Locale.ROOT), bitsOf(categories), null,
          currentSubs);
      return this;
    }

    /** A subcommand of the last command added. */
    public Builder sub(int id, String name, List<String> categories) {
      currentSubs.add(new Entry(id, current.fullName() + "|" + name.toLowerCase(Locale.ROOT),
          bitsOf(categories), current, List.of()));
      return this;
    }

    private void finish() {
      if (current != null) {
        // the entry keeps the (now complete) list of its subcommands, read-only from here
        top.add(new Entry(current.id(), current.fullName(), current.categories(), null,
            List.copyOf(currentSubs)));
      }
      current = null;
    }

    public Catalog build() {
      finish();
      // the subcommands' parent is the final entry
      List<Entry> fixed = new ArrayList<>();
      for (Entry e : top) {
        List<Entry> subs = new ArrayList<>();
        Entry parent = new Entry(e.id(), e.fullName(), e.categories(), null,
            Collections.unmodifiableList(subs));
        for (Entry s : e.subs()) {
          subs.add(new Entry(s.id(), s.fullName(), s.categories(), parent, List.of()));
        }
        fixed.add(parent);
      }
      return new Catalog(fixed, glob);
    }

    private static long bitsOf(List<String> categories) {
      long bits = 0;
      for (String c : categories) {
        bits |= categoryBit(c.startsWith("@") ? c.substring(1) : c);
      }
      return bits;
    }
  }
}
