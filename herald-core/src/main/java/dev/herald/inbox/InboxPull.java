package dev.herald.inbox;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one pull took: every item pending at that instant, ordered by first change, then key.
 *
 * @param pullId for a pull that reserved its items ({@link InboxStore#reserve}), the id that
 *     acknowledges them; empty when nothing was taken, or the items were taken for good
 * @param reservedUntil when reserved items become pending again unless acknowledged
 */
public record InboxPull(
    String recipient,
    List<InboxItem> items,
    Instant pulledAt,
    Optional<String> pullId,
    Optional<Instant> reservedUntil) {
  public InboxPull {
    Objects.requireNonNull(recipient, "recipient");
    items = List.copyOf(items);
    Objects.requireNonNull(pulledAt, "pulledAt");
    Objects.requireNonNull(pullId, "pullId");
    Objects.requireNonNull(reservedUntil, "reservedUntil");
    if (pullId.isPresent() != reservedUntil.isPresent()) {
      throw new IllegalArgumentException(
          "a reserved pull has both a pull id and a reservation end, an unreserved one neither");
    }
  }

  /** Items taken for good, with nothing to acknowledge. */
  public InboxPull(String recipient, List<InboxItem> items, Instant pulledAt) {
    this(recipient, items, pulledAt, Optional.empty(), Optional.empty());
  }
}
