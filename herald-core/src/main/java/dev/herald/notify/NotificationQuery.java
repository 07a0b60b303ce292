package dev.herald.notify;

import java.util.Objects;
import java.util.Optional;

/**
 * Which notifications to list.
 *
 * @param rule only this rule's
 * @param recipient only this recipient's
 * @param after a cursor from a previous page's {@code next}, or empty for the oldest
 * @param limit page size, 1 to 1000
 */
public record NotificationQuery(
    Optional<String> rule, Optional<String> recipient, Optional<String> after, int limit) {
  public NotificationQuery {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(after, "after");
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be between 1 and 1000, but was " + limit);
    }
  }
}
