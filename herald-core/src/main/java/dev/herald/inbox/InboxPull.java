package dev.herald.inbox;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** What one pull took: every item pending at that instant, ordered by first change, then key. */
public record InboxPull(String recipient, List<InboxItem> items, Instant pulledAt) {
  public InboxPull {
    Objects.requireNonNull(recipient, "recipient");
    items = List.copyOf(items);
    Objects.requireNonNull(pulledAt, "pulledAt");
  }
}
