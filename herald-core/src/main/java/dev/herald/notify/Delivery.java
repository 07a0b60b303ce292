package dev.herald.notify;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The delivery of one notification to one sink, with its attempts so far.
 *
 * @param notificationId the notification
 * @param sink the sink's {@link Sink#name()}
 * @param state where it stands
 * @param nextAttemptAt when the next attempt is due, while pending
 * @param attempts every attempt made, oldest first
 */
public record Delivery(
    String notificationId,
    String sink,
    State state,
    Optional<Instant> nextAttemptAt,
    List<Attempt> attempts) {

  public enum State {
    PENDING,
    DELIVERED,
    FAILED
  }

  /**
   * One try.
   *
   * @param number 1 for the first attempt
   * @param at when it was made
   * @param succeeded whether the sink took it
   * @param detail what happened, e.g. {@code HTTP 503} or the error message
   */
  public record Attempt(int number, Instant at, boolean succeeded, String detail) {}
}
