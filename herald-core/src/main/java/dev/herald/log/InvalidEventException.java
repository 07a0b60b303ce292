package dev.herald.log;

import dev.herald.HeraldException;

/** An event lacks what a rule needs from it (its key, an item field, a readable time). */
public final class InvalidEventException extends HeraldException {
  public InvalidEventException(String message) {
    super(message);
  }
}
