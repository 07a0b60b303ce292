package dev.herald.server.reviews;

import java.time.Duration;

/**
 * Where alerts go and how often the monitor checks.
 *
 * @param stream the alerts stream
 * @param checkEvery how often stale inboxes are looked for
 */
public record AlertSettings(String stream, Duration checkEvery) {
  public static final AlertSettings DEFAULT = new AlertSettings("alerts", Duration.ofSeconds(1));
}
