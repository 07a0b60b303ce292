package dev.herald.notify;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Exponential backoff: after the n-th failed attempt wait {@code initialBackoff * 2^(n-1)}, capped
 * at {@code maxBackoff}; after {@code maxAttempts} failures give up.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  public static final RetryPolicy DEFAULT =
      new RetryPolicy(8, Duration.ofSeconds(1), Duration.ofMinutes(5));

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
  }

  /** The wait before the next attempt after {@code failedAttempts} failures; empty to give up. */
  public Optional<Duration> delayAfter(int failedAttempts) {
    if (failedAttempts >= maxAttempts) {
      return Optional.empty();
    }
    long factor = 1L << Math.min(30, failedAttempts - 1);
    Duration delay = initialBackoff.multipliedBy(factor);
    return Optional.of(delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay);
  }
}
