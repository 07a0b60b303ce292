package dev.herald.notify;

import java.time.Instant;
import java.util.Optional;

/**
 * The result of one delivery attempt, as recorded by the dispatcher.
 *
 * @param task what was attempted
 * @param at when
 * @param succeeded whether the sink took it
 * @param detail what happened
 * @param retryAt when to try again; empty after success or when giving up
 */
public record DeliveryOutcome(
    DeliveryTask task, Instant at, boolean succeeded, String detail, Optional<Instant> retryAt) {

  /** True when the delivery failed and will not be tried again. */
  public boolean gaveUp() {
    return !succeeded && retryAt.isEmpty();
  }
}
