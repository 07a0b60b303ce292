package dev.herald.route;

import dev.herald.HeraldException;

/** A directory document is not a JSON object of arrays of recipients. */
public final class InvalidDirectoryException extends HeraldException {
  public InvalidDirectoryException(String message) {
    super(message);
  }
}
