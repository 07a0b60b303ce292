package dev.herald.inbox;

import java.time.Instant;
import java.util.Objects;

/**
 * An inbox found by its oldest pending item, as {@link InboxStore#staleRecipients} lists it.
 *
 * @param recipient whose inbox
 * @param oldestPendingAt when its oldest pending item arrived (store time)
 */
public record StaleInbox(String recipient, Instant oldestPendingAt) {
  public StaleInbox {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(oldestPendingAt, "oldestPendingAt");
  }
}
