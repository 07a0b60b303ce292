package dev.herald.log;

/**
 * The store did not answer in time: the operation may or may not have been carried out (the command
 * reached the store, its answer did not come back). A caller that retries must make the retry
 * idempotent, or it may do the work twice.
 */
public final class StoreTimeoutException extends StoreUnavailableException {
  public StoreTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
