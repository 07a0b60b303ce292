package dev.herald.store;

import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxStore;
import dev.herald.log.EventLog;
import dev.herald.notify.NotificationStore;

/**
 * One storage engine providing every SPI Herald needs, opened from the {@code store} setting.
 * Closing it closes what it opened.
 */
public interface Backend extends AutoCloseable {

  EventLog log();

  DigestStore digests();

  NotificationStore notifications();

  InboxStore inboxes();

  /** A short description for logs and {@code /health}, e.g. the file or the URL. */
  String describe();

  /** Whether the engine answers now; backs {@code /health/ready}. */
  boolean ready();

  @Override
  void close();
}
