package dev.herald.process;

import dev.herald.log.Event;
import java.util.List;

/**
 * What a {@link StreamProcessor} does with each batch of events: the digest, route and inbox
 * engines are handlers, and so will pipelines and import workers be.
 *
 * <p>When {@link #handle} returns, the batch's effect must be durable: the processor acknowledges
 * the events next. A crash in between delivers them again, so the effect must be idempotent by
 * event id (stores deduplicate on it).
 */
@FunctionalInterface
public interface BatchHandler {

  /**
   * Applies the batch and returns the events it could not use, each with the reason: they go to the
   * dead-letter stream, and the rest of the batch is applied.
   *
   * @throws dev.herald.log.StoreUnavailableException when a store is unreachable: the batch is
   *     retried after a backoff for as long as that lasts, and no event is blamed
   * @throws RuntimeException for any other failure: the processor retries the batch's events one by
   *     one with backoff, and an event that fails {@code maxAttempts} times goes to the dead-letter
   *     stream
   */
  List<Rejection> handle(List<Event> events);

  /** An event the handler cannot use, and why, in a sentence. */
  record Rejection(Event event, String reason) {}
}
