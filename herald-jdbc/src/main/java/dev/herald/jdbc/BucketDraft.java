package dev.herald.jdbc;

import dev.herald.digest.Bucket;
import dev.herald.digest.DigestRule;
import dev.herald.digest.InlineItems;
import java.time.Instant;

/**
 * An open digest bucket as a relational store's add sees it while applying a batch: its stored
 * state (when {@code stored}) and the items the batch adds, as the inline lines the bucket row
 * appends. A store extends it with what its own layout keeps (row ids, index places).
 *
 * <p>Thread ownership: one add at a time.
 */
public class BucketDraft {

  public final String key;
  public final String openEvent;

  /** Whether the bucket has a row already (an update), or is new (an insert). */
  public final boolean stored;

  public long firstMs;
  public long lastMs;
  public long dueMs;
  public int count;

  /** The lines of the items this batch adds. */
  public final StringBuilder added = new StringBuilder();

  public BucketDraft(
      String key,
      String openEvent,
      boolean stored,
      long firstMs,
      long lastMs,
      long dueMs,
      int count) {
    this.key = key;
    this.openEvent = openEvent;
    this.stored = stored;
    this.firstMs = firstMs;
    this.lastMs = lastMs;
    this.dueMs = dueMs;
    this.count = count;
  }

  /** Adds an item at time {@code t} (epoch ms) and moves the deadline as the rule says. */
  public void add(DigestRule rule, long t, String text) {
    firstMs = Math.min(firstMs, t);
    lastMs = Math.max(lastMs, t);
    dueMs =
        rule.deadline(Instant.ofEpochMilli(firstMs), Instant.ofEpochMilli(lastMs)).toEpochMilli();
    count++;
    added.append(InlineItems.line(t, text));
  }

  /** The bucket as the SPI shows it. */
  public Bucket view(String rule) {
    return new Bucket(
        rule,
        key,
        openEvent,
        Instant.ofEpochMilli(firstMs),
        Instant.ofEpochMilli(lastMs),
        Instant.ofEpochMilli(dueMs),
        count);
  }
}
