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
 *   <li><b>Idempotency</b>: a delivery whose {@code dedupeId} was added to the inbox set within the
 *       rule's dedupe window is skipped, even if the item was pulled meanwhile.
 *   <li><b>Atomic pull</b>: {@link #pull} and {@link #reserve} take every item pending at one
 *       instant and leave the inbox empty; an item added concurrently is in this pull or the next,
 *       never both, never neither.
 *   <li><b>Reservations</b>: the items {@link #reserve} takes are kept, not pending, until {@link
 *       #acknowledge}d (then they are gone) or until the reservation ends (then they are pending
 *       again, coalesced with any change of the same item that arrived meanwhile, as if they had
 *       never been taken). A crash between the two loses nothing: the reservation is durable, and
 *       ends like any other.
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

  /**
   * Takes every pending item of the recipient for good and records {@code now} as its last pull: at
   * most once, since items lost on their way to the puller are gone.
   */
  InboxPull pull(String inbox, String recipient, Instant now);

  /**
   * Takes every pending item of the recipient, as {@link #pull}, but reserves them under a new pull
   * id until {@code until}. Reservations of the recipient that ended by {@code now} are released
   * first, so their items are in this pull. When nothing is pending, no reservation is made and the
   * pull has no id.
   */
  InboxPull reserve(String inbox, String recipient, Instant now, Instant until);

  /**
   * Acknowledges a reserved pull: its items are removed for good. A reservation that ended by
   * {@code now} is released instead, and reported {@link Acknowledgement#EXPIRED}.
   */
  Acknowledgement acknowledge(String inbox, String recipient, String pullId, Instant now);

  /** What became of an acknowledgement. */
  enum Acknowledgement {
    /** The pull's items are gone for good. */
    ACKNOWLEDGED,
    /** The recipient has no such reservation: never made, already acknowledged, or cleaned. */
    UNKNOWN,
    /** The reservation had ended: its items are pending again and come with the next pull. */
    EXPIRED
  }

  /**
   * Makes the items of up to {@code limit} reservations that ended by {@code now} pending again;
   * returns how many reservations it released. A monitor calls it regularly.
   */
  int releaseExpired(String inbox, Instant now, int limit);

  /**
   * Removes the recipient's inbox, its items (reserved ones too) and its pull record; false when it
   * had none.
   */
  boolean clean(String inbox, String recipient);

  /** The recipient's inbox; empty when it has none. */
  Optional<InboxSummary> summary(String inbox, String recipient);

  /** Inboxes ordered by recipient, starting after {@code afterRecipient} ("" for the start). */
  List<InboxSummary> list(String inbox, String afterRecipient, int limit);

  /**
   * Inboxes whose oldest pending item arrived at or before {@code pendingSince}, oldest first, at
   * most {@code limit}.
   */
  List<InboxSummary> stale(String inbox, Instant pendingSince, int limit);

  /**
   * The recipients of the inboxes {@link #stale} finds, at most {@code limit}, in no particular
   * order (when more are stale, which ones is the store's choice), with nothing but what its index
   * holds. A monitor that checks every second needs no more for the inboxes it already alerted; a
   * summary costs a lookup per inbox, and on Redis even the oldest arrival times cost most of a
   * check (formatting a score per inbox).
   */
  List<String> staleRecipients(String inbox, Instant pendingSince, int limit);

  /** Totals for gauges. */
  InboxStats stats(String inbox);
}
