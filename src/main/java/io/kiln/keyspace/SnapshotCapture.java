package io.kiln.keyspace;

/**
 * The keyspace's side of a point-in-time snapshot (serialize-before-write): while a snapshot
 * runs, every entry that is about to change or disappear is first handed to it, and entries
 * created after its start are marked as not part of it. Implemented by the persistence layer;
 * called on the shard's event loop only.
 */
public interface SnapshotCapture {
  /** {@code node} of {@code table} is about to change or be removed: capture it if not yet done. */
  void beforeChange(Dict<Object> table, Dict.Node<Object> node);

  /** {@code node} was just inserted: it did not exist when the snapshot began. */
  void inserted(Dict.Node<Object> node);
}
