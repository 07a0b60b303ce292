package dev.herald.inbox;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable per-recipient inboxes.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Coalescing</b>: deliveries with the same recipient and item key make one pending item,
 *       holding the data of the latest by time (the later added on a tie) and counting each
 *       delivery once in {@code changes}.
 *   <li><b>Idempotency</b>: a delivery whose {@code dedupeId} was added to the inbox set within
 *       the rule's dedupe window is skipped, even if the item was pulled meanwhile.
 *   <li><b>Atomic pull</b>: {@link #pull} takes every item pending at one instant and leaves the
 *       inbox empty; an item added concurrently is in this pull or the next, never both, never
 *       neither.
 *   <li><b>Stale index</b>: {@link #stale} finds inboxes by the arrival time of their oldest
 *       pending item through an index, at a cost independent of the number of inboxes.
 *   <li>Inboxes are created by their first delivery; a pull or a clean of an unknown recipient
 *       changes nothing.
 * </ul>
 *
 * <p>Thread-safety: implementations are safe for concurrent use, by several processes where the
 * backend is shared.
 */
public interface InboxStore {

  /**
   * Adds the deliveries, in order, arriving at {@code now}.
   *
   * @return how many were new, i.e. not skipped as duplicates
   */
  int add(InboxRule rule, List<InboxDelivery> deliveries, Instant now);

  /** The recipient's pending items without taking them; empty when none. */
  List<InboxItem> peek(String inbox, String recipient);

  /** Takes every pending item of the recipient and records {@code now} as its last pull. */
  InboxPull pull(String inbox, String recipient, Instant now);

  /** Removes the recipient's inbox, its items and its pull record; false when it had none. */
  boolean clean(String inbox, String recipient);

  /** The recipient's inbox; empty when it has none. */
  Optional<InboxSummary> summary(String inbox, String recipient);

  /** Inboxes ordered by recipient, starting after {@code afterRecipient} ("" for the start). */
  List<InboxSummary> list(String inbox, String afterRecipient, int limit);

  /**
   * Inboxes whose oldest pending item arrived at or before {@code pendingSince}, oldest first,
   * at most {@code limit}.
   */
  List<InboxSummary> stale(String inbox, Instant pendingSince, int limit);

  /**
   * The recipients of the inboxes {@link #stale} finds, at most {@code limit}, in no particular
   * order (when more are stale, which ones is the store's choice), with nothing but what its index
   * holds. A monitor that checks every second needs no more for the inboxes it already alerted;
   * a summary costs a lookup per inbox, and on Redis even the oldest arrival times cost most of a
   * check (formatting a score per inbox).
   */
  List<String> staleRecipients(String inbox, Instant pendingSince, int limit);

  /** Totals for gauges. */
  InboxStats stats(String inbox);
}
