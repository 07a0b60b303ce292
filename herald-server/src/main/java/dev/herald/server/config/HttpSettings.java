package dev.herald.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * How the HTTP listener protects itself from clients.
 *
 * @param maxConnections the most connections served at once; past it a connection is answered 503
 *     and closed. Empty: {@link #DEFAULT_MAX_CONNECTIONS}, lowered to fit the process's file
 *     descriptor limit
 * @param idleTimeout how long a connection may wait for its next request (keep-alive) or a
 *     WebSocket client may stay silent before it is closed
 * @param headerTimeout how long a client may take to send a request's headers once its request line
 *     arrived
 * @param allowedOrigins web origins besides the server's own that may open WebSockets and send
 *     state-changing requests from a browser (e.g. {@code https://ops.example.com})
 * @param maxResponseBytes the size at which a page of events ends early, with {@code next}
 */
public record HttpSettings(
    OptionalInt maxConnections,
    Duration idleTimeout,
    Duration headerTimeout,
    List<String> allowedOrigins,
    long maxResponseBytes) {

  public static final int DEFAULT_MAX_CONNECTIONS = 16_384;
  public static final HttpSettings DEFAULT =
      new HttpSettings(
          OptionalInt.empty(), Duration.ofSeconds(60), Duration.ofSeconds(10), List.of(), 4L << 20);

  public HttpSettings {
    Objects.requireNonNull(maxConnections, "maxConnections");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    allowedOrigins = List.copyOf(allowedOrigins);
  }
}
