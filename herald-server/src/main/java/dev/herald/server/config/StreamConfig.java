package dev.herald.server.config;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A declared stream and its retention. Events beyond {@code maxLength} or older than {@code
 * maxAge} are trimmed in the background; with neither, everything is kept.
 */
public record StreamConfig(String name, OptionalLong maxLength, Optional<Duration> maxAge) {}
