package dev.herald.inbox;

import java.time.Instant;
import java.util.Optional;

/**
 * Totals of an inbox set, for gauges.
 *
 * @param inboxes recipients with at least one pending item
 * @param pendingItems pending items over all recipients
 * @param oldestPendingAt the arrival of the oldest pending item of any recipient
 * @param reservedItems items pulled and not acknowledged yet (not counted as pending)
 */
public record InboxStats(
    long inboxes, long pendingItems, Optional<Instant> oldestPendingAt, long reservedItems) {

  /** Totals with nothing reserved. */
  public InboxStats(long inboxes, long pendingItems, Optional<Instant> oldestPendingAt) {
    this(inboxes, pendingItems, oldestPendingAt, 0);
  }
}
