package dev.herald.digest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.notify.Notification;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable digest state: the open buckets of every rule, their items and deadlines, and the outbox
 * that closing a bucket writes to.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Atomicity</b>: each method that changes state does so in one transaction. Closing a
 *       bucket, writing its {@link Notification} and the notification's pending deliveries (one per
 *       sink of the rule) happen together or not at all.
 *   <li><b>Once</b>: a bucket is closed once. Concurrent callers (threads or processes) of {@link
 *       #closeDue} and {@link #flush} get disjoint notifications.
 *   <li><b>Idempotency</b>: an item whose event id was already added to the rule (in an open or a
 *       closed bucket still retained) is skipped, so a redelivered event counts once.
 *   <li><b>No item lost</b>: an item added while its bucket is being closed lands either in the
 *       closing bucket's notification or in a new bucket, never in neither or both.
 *   <li><b>Ordering</b>: a notification lists its items by event time, then by the order they were
 *       added.
 * </ul>
 *
 * <p>Thread-safety: implementations are safe for concurrent use.
 */
public interface DigestStore extends AutoCloseable {

  /**
   * Adds the items to their buckets, opening a bucket where the key has none, and moves each
   * bucket's deadline. When the rule has {@code maxItems}, a bucket that becomes full is closed in
   * the same transaction and the next item of its key opens a new bucket.
   *
   * @return notifications of buckets closed because they became full, in closing order
   */
  List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now);

  /**
   * Closes up to {@code limit} buckets of the rule due at or before {@code now}, earliest first.
   */
  List<Notification> closeDue(DigestRule rule, Instant now, int limit);

  /** Closes the open bucket of {@code key} now, whatever its deadline; empty when there is none. */
  Optional<Notification> flush(DigestRule rule, String key, Instant now);

  /** The earliest deadline among the rule's open buckets. */
  Optional<Instant> nextDue(String rule);

  /**
   * When {@link #closeDue} should next be called for the rule: at or before {@link #nextDue}. A
   * store whose deadline index is only a lower bound (so that adding an item need not move an index
   * entry) answers from that index, which may be earlier; the closer then finds nothing due yet,
   * and the store corrects the index as it looks.
   */
  default Optional<Instant> nextCloseCheck(String rule) {
    return nextDue(rule);
  }

  /**
   * Open buckets of the rule ordered by key, starting after {@code afterKey} ("" for the start).
   */
  List<Bucket> openBuckets(String rule, String afterKey, int limit);

  /** The open bucket of {@code key}, if any. */
  Optional<Bucket> openBucket(String rule, String key);

  /** Items of the open bucket of {@code key}, in notification order; empty when there is none. */
  List<JsonNode> openItems(String rule, String key);

  /** How many buckets of the rule are open. */
  long openBucketCount(String rule);

  @Override
  void close();
}
