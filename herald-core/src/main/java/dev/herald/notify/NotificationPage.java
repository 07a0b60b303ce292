package dev.herald.notify;

import java.util.List;
import java.util.Optional;

/**
 * A page of notifications, oldest first.
 *
 * @param next the cursor to pass as {@code after} for the following page; empty on the last page
 */
public record NotificationPage(List<Notification> notifications, Optional<String> next) {}
