package dev.herald.server.config;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A declared stream and its retention. Events beyond {@code maxLength} or older than {@code maxAge}
 * are trimmed in the background; with neither, everything is kept.
 *
 * @param external whether clients may append to it over the API although Herald writes it too (a
 *     route's output, the alerts, a notification sink): off, such a stream is read-only
 */
public record StreamConfig(
    String name, OptionalLong maxLength, Optional<Duration> maxAge, boolean external) {

  /** A stream with no retention limit, open to clients. */
  public static StreamConfig unlimited(String name) {
    return new StreamConfig(name, OptionalLong.empty(), Optional.empty(), false);
  }
}
