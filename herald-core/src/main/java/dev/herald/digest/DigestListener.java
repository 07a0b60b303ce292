package dev.herald.digest;

import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import dev.herald.notify.Notification;

/**
 * Observes the digest engine, e.g. for metrics. Called on the engine's threads (ingesting and
 * closing may run on one each): keep it cheap and thread-safe.
 */
public interface DigestListener {

  DigestListener NONE = new DigestListener() {};

  /** {@code events} events of the rule's stream were applied to the store and acknowledged. */
  default void onIngested(DigestRule rule, int events) {}

  /** A bucket was closed and its notification written to the outbox. */
  default void onNotification(Notification notification) {}

  /** An event in the rule's stream could not be used and was skipped (acknowledged). */
  default void onRejected(DigestRule rule, Event event, InvalidEventException reason) {}
}
