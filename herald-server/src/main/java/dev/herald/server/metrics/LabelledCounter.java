package dev.herald.server.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter with one label (a stream, a rule, a sink). {@link LongAdder}s, so hot paths never
 * contend. Thread-safe.
 */
public final class LabelledCounter {

  private final Map<String, LongAdder> values = new ConcurrentHashMap<>();

  public void add(String label, long n) {
    values.computeIfAbsent(label, l -> new LongAdder()).add(n);
  }

  public void increment(String label) {
    add(label, 1);
  }

  /** The count of each label seen, sorted by label. */
  public Map<String, Long> sums() {
    Map<String, Long> sums = new TreeMap<>();
    values.forEach((label, adder) -> sums.put(label, adder.sum()));
    return sums;
  }
}
