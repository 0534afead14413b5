package io.kiln.load;

/** A growable FIFO of longs (send times of in-flight requests). Confined to one connection's thread. */
final class LongRing {
  private long[] items = new long[64];
  private int head;
  private int size;

  void add(long v) {
    if (size == items.length) {
      long[] n = new long[items.length * 2];
      for (int i = 0; i < size; i++) {
        n[i] = items[(head + i) & (items.length - 1)];
      }
      items = n;
      head = 0;
    }
    items[(head + size) & (items.length - 1)] = v;
    size++;
  }

  long poll() {
    if (size == 0) {
      throw new IllegalStateException("reply without a request in flight");
    }
    long v = items[head];
    head = (head + 1) & (items.length - 1);
    size--;
    return v;
  }

  int size() {
    return size;
  }
}
