package dev.herald.log;

import dev.herald.HeraldException;

/**
 * The backing store cannot be reached or refused the operation; the caller may retry later. The
 * operation was not carried out, unless this is a {@link StoreTimeoutException}.
 */
public class StoreUnavailableException extends HeraldException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
