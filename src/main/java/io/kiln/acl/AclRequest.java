package io.kiln.acl;

/**
 * One command call as the ACL check sees it: the command, its arguments, and (asked for only
 * when a rule restricts them) the positions of its keys with the access each needs
 * ({@link Selector#READ}, {@link Selector#WRITE}, both or 0 for none in particular) and of its
 * channels (with 1 for a pattern that PSUBSCRIBE names). Built and used on one event loop.
 */
public interface AclRequest {
  Catalog.Entry entry();

  byte[][] argv();

  /** The command needs no authentication (AUTH, HELLO...): its command bit is not checked. */
  boolean noAuth();

  /** {argument index, access needed} per key. */
  int[][] keys();

  /** {argument index, 1 when a pattern} per channel subscribed or published to. */
  int[][] channels();
}
