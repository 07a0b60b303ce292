package dev.herald;

/**
 * Base of every error Herald raises on purpose. The message is a sentence a user can act on: what
 * was wrong, where, what is allowed and the value received.
 *
 * <p>Subclasses say what kind of failure it is; the HTTP layer maps each kind to a status in one
 * place, so core never mentions HTTP.
 */
public class HeraldException extends RuntimeException {

  public HeraldException(String message) {
    super(message);
  }

  public HeraldException(String message, Throwable cause) {
    super(message, cause);
  }
}
