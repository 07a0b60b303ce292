package dev.herald.inbox;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A pending item: the latest version of one item key and how many changes it coalesces.
 *
 * @param key the item key (e.g. the review id)
 * @param data the event of its latest change
 * @param changes how many distinct events changed it since the inbox was last pulled
 * @param firstAt the time of its first pending change
 * @param lastAt the time of its latest change
 */
public record InboxItem(String key, ObjectNode data, int changes, Instant firstAt, Instant lastAt) {
  public InboxItem {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(firstAt, "firstAt");
    Objects.requireNonNull(lastAt, "lastAt");
  }
}
