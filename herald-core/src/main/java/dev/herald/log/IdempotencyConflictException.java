package dev.herald.log;

import dev.herald.HeraldException;

/** An idempotency key was used again for a request other than the one it was first used for. */
public final class IdempotencyConflictException extends HeraldException {
  public IdempotencyConflictException(String message) {
    super(message);
  }
}
