package dev.herald.inbox;

import java.time.Duration;
import java.util.Objects;

/**
 * Per-recipient inboxes fed by a stream: each event is one pending item of the inbox of the
 * recipient its {@code recipientField} names, coalesced with the pending item of the same {@code
 * itemKey}.
 *
 * @param name unique name of the inbox set (e.g. {@code reviews})
 * @param stream the stream it reads
 * @param recipientField the field naming the recipient
 * @param itemKey the field whose value identifies an item: later events of the same key replace its
 *     data and count as changes
 * @param staleAfter an inbox whose oldest pending item is older than this is stale
 * @param dedupeWindow how long a delivery is remembered so that a redelivered event, or a re-routed
 *     one, counts once
 * @param ackTimeout how long the items of a pull stay reserved for the puller's acknowledgement
 *     before they are pending again
 */
public record InboxRule(
    String name,
    String stream,
    String recipientField,
    String itemKey,
    Duration staleAfter,
    Duration dedupeWindow,
    Duration ackTimeout) {

  public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofHours(1);
  public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofMinutes(1);

  public InboxRule {
    for (var field :
        new String[][] {
          {"name", name},
          {"stream", stream},
          {"recipientField", recipientField},
          {"itemKey", itemKey}
        }) {
      if (field[1] == null || field[1].isBlank()) {
        throw new IllegalArgumentException(field[0] + " must not be empty");
      }
    }
    if (Objects.requireNonNull(staleAfter, "staleAfter").isNegative() || staleAfter.isZero()) {
      throw new IllegalArgumentException("staleAfter must be positive, but was " + staleAfter);
    }
    if (Objects.requireNonNull(dedupeWindow, "dedupeWindow").isNegative()
        || dedupeWindow.isZero()) {
      throw new IllegalArgumentException("dedupeWindow must be positive, but was " + dedupeWindow);
    }
    if (Objects.requireNonNull(ackTimeout, "ackTimeout").isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException("ackTimeout must be positive, but was " + ackTimeout);
    }
  }

  /** A rule whose pulls wait {@link #DEFAULT_ACK_TIMEOUT} for their acknowledgement. */
  public InboxRule(
      String name,
      String stream,
      String recipientField,
      String itemKey,
      Duration staleAfter,
      Duration dedupeWindow) {
    this(name, stream, recipientField, itemKey, staleAfter, dedupeWindow, DEFAULT_ACK_TIMEOUT);
  }

  public static InboxRule of(
      String name, String stream, String recipientField, String itemKey, Duration staleAfter) {
    return new InboxRule(name, stream, recipientField, itemKey, staleAfter, DEFAULT_DEDUPE_WINDOW);
  }

  /** The consumer group the inbox engine reads the stream through. */
  public String consumerGroup() {
    return "inbox:" + name;
  }
}
