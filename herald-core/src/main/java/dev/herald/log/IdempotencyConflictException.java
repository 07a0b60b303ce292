package dev.herald.log;

import dev.herald.HeraldException;

/** An idempotency key was used again for a request other than the one it was first used for. */
public final class IdempotencyConflictException extends HeraldException {
  public IdempotencyConflictException(String message) {
    super(message);
  }

  /** The refusal of {@code key}, used with {@code stream} for a request of another fingerprint. */
  public static IdempotencyConflictException of(String stream, IdempotencyKey key) {
    return new IdempotencyConflictException(
        "Idempotency-Key '"
            + key.key()
            + "' was used for a different request to stream '"
            + stream
            + "' within the last "
            + key.keep()
            + "; use a new key for a new request");
  }
}
