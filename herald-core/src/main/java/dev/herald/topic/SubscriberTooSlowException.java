package dev.herald.topic;

import dev.herald.HeraldException;

/** A subscriber fell further behind than its buffer allows; it must reconnect to resume. */
public final class SubscriberTooSlowException extends HeraldException {
  public SubscriberTooSlowException(String message) {
    super(message);
  }
}
