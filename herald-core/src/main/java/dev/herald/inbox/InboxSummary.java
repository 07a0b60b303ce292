package dev.herald.inbox;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One recipient's inbox at a glance.
 *
 * @param recipient whose inbox
 * @param pending how many items are pending
 * @param oldestPendingAt when the oldest pending item arrived (store time); empty when none is
 *     pending
 * @param lastPulledAt when it was last pulled; empty when never
 */
public record InboxSummary(
    String recipient,
    long pending,
    Optional<Instant> oldestPendingAt,
    Optional<Instant> lastPulledAt) {
  public InboxSummary {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(oldestPendingAt, "oldestPendingAt");
    Objects.requireNonNull(lastPulledAt, "lastPulledAt");
  }
}
