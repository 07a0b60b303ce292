package dev.herald.log;

import java.time.Duration;
import java.util.Objects;

/**
 * A client's key that makes an append idempotent: an append to a stream with a key used there
 * within {@code keep} appends nothing and returns the ids the first one got, so a client that
 * retries after a lost answer (a timeout, a dropped connection) stores its events once.
 *
 * @param key the client's key (the {@code Idempotency-Key} header)
 * @param fingerprint what was sent with it; the same key with another fingerprint is refused
 *     ({@link IdempotencyConflictException}), as it names another request
 * @param keep how long the key is remembered
 */
public record IdempotencyKey(String key, String fingerprint, Duration keep) {
  public IdempotencyKey {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(keep, "keep");
    if (key.isEmpty() || key.length() > 255) {
      throw new IllegalArgumentException(
          "an idempotency key has 1 to 255 characters, but had " + key.length());
    }
    if (keep.isNegative() || keep.isZero()) {
      throw new IllegalArgumentException("keep must be positive, but was " + keep);
    }
  }
}
