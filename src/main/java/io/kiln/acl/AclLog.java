package io.kiln.acl;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;

/**
 * The ACL log (ACL LOG): denied commands, keys, channels and failed AUTHs, newest first. An
 * event like one of the ten newest entries (same reason, context, object and user, within a
 * minute) bumps that entry's count instead of adding one, as Redis groups them.
 *
 * <p>Owned by the shard event loop (see {@link Acl}); not thread-safe.
 */
public final class AclLog {
  private static final long GROUPING_MS = 60_000;

  /** One entry; reason and context are Redis's words (command, key...; toplevel, multi, lua). */
  public static final class Entry {
    public long count = 1;
    public final String reason;
    public final String context;
    public final byte[] object;
    public final String username;
    public long createdMs;
    public String clientInfo;

    Entry(String reason, String context, byte[] object, String username, long createdMs,
        String clientInfo) {
      this.reason = reason;
      this.context = context;
      this.object = object;
      this.username = username;
      this.createdMs = createdMs;
      this.clientInfo = clientInfo;
    }

    boolean like(Entry o) {
      return reason.equals(o.reason) && context.equals(o.context)
          && Math.abs(createdMs - o.createdMs) <= GROUPING_MS
          && java.util.Arrays.equals(object, o.object) && username.equals(o.username);
    }
  }

  private final LinkedList<Entry> entries = new LinkedList<>();

  /** Records an event, keeping at most {@code maxLen} entries. */
  public void add(String reason, String context, byte[] object, String username,
      String clientInfo, long maxLen) {
    Entry e = new Entry(reason, context, object, username, System.currentTimeMillis(),
        clientInfo);
    int scanned = 0;
    for (Iterator<Entry> it = entries.iterator(); it.hasNext() && scanned < 10; scanned++) {
      Entry cur = it.next();
      if (cur.like(e)) {
        it.remove();
        cur.count++;
        cur.createdMs = e.createdMs;
        cur.clientInfo = e.clientInfo;
        entries.addFirst(cur);
        return;
      }
    }
    entries.addFirst(e);
    while (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  /** The newest {@code count} entries. */
  public List<Entry> newest(long count) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (out.size() >= count) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  public void reset() {
    entries.clear();
  }
}
