package dev.herald.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter: after the n-th failed attempt wait {@code initialBackoff *
 * 2^(n-1)}, capped at {@code maxBackoff}, less a random share of up to {@code jitter} of it; after
 * {@code maxAttempts} failures give up.
 *
 * <p>The jitter spreads the retries of many failures that happened together (a receiver or a store
 * that was down for everyone) so that they do not all come back at the same instant. With a jitter
 * of at most one half, a wait is never shorter than the one before it.
 */
public record RetryPolicy(
    int maxAttempts, Duration initialBackoff, Duration maxBackoff, double jitter) {

  /** How failed notification deliveries are retried unless configured. */
  public static final RetryPolicy DELIVERY =
      new RetryPolicy(8, Duration.ofSeconds(1), Duration.ofMinutes(5), 0.2);

  /** How events a consumer failed to process are retried unless configured. */
  public static final RetryPolicy PROCESSING =
      new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(10), 0.5);

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
      throw new IllegalArgumentException("backoffs must not be negative");
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be between 0 and 1, but was " + jitter);
    }
  }

  /** The wait before the next attempt after {@code failedAttempts} failures; empty to give up. */
  public Optional<Duration> delayAfter(int failedAttempts) {
    return delayAfter(failedAttempts, () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * As {@link #delayAfter(int)}, with the jitter drawn from {@code unit} (uniform in [0, 1)), for
   * callers and tests that bring their own randomness.
   */
  public Optional<Duration> delayAfter(int failedAttempts, DoubleSupplier unit) {
    if (failedAttempts >= maxAttempts) {
      return Optional.empty();
    }
    return Optional.of(backoff(failedAttempts, unit));
  }

  /** The wait after {@code failedAttempts} failures, with no limit on the attempts. */
  public Duration backoff(int failedAttempts, DoubleSupplier unit) {
    long factor = 1L << Math.min(30, Math.max(0, failedAttempts - 1));
    Duration delay = initialBackoff.multipliedBy(factor);
    if (delay.compareTo(maxBackoff) > 0 || delay.isNegative()) {
      delay = maxBackoff;
    }
    if (jitter == 0) {
      return delay;
    }
    long nanos = saturatedNanos(delay);
    return Duration.ofNanos(nanos - (long) (nanos * jitter * unit.getAsDouble()));
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
