package dev.herald.server.listener;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import java.util.Optional;

/**
 * Answers what Helidon refuses before a request reaches the routing (a request line or headers it
 * cannot parse, HTTP/1.0, a forbidden WebSocket origin) with the same {@code
 * application/problem+json} as every other error, instead of Helidon's plain text.
 */
public final class ProblemDirectHandler implements DirectHandler {

  /** What Helidon says for a message it does not consider safe to show. */
  private static final String HELIDON_UNSAFE = "Bad request, see server log for more information";

  @Override
  public TransportResponse handle(
      TransportRequest request,
      EventType eventType,
      Status status,
      ServerResponseHeaders headers,
      String message) {
    String path = request.path();
    byte[] body =
        ProblemDocument.body(
            status.code(),
            type(eventType),
            detail(eventType, message),
            path == null || path.isEmpty() ? Optional.empty() : Optional.of(path));
    headers.set(HeaderNames.CONTENT_TYPE, "application/problem+json");
    return TransportResponse.builder()
        .status(status)
        .headers(headers)
        .keepAlive(eventType.keepAlive())
        .entity(body)
        .build();
  }

  private static String type(EventType eventType) {
    return switch (eventType) {
      case BAD_REQUEST -> "bad-request";
      case PAYLOAD_TOO_LARGE -> "body-too-large";
      case FORBIDDEN -> "forbidden";
      case HTTP_VERSION_NOT_SUPPORTED -> "http-version-not-supported";
      case INTERNAL_ERROR, OTHER -> "internal-error";
    };
  }

  private static String detail(EventType eventType, String message) {
    return switch (eventType) {
      case HTTP_VERSION_NOT_SUPPORTED ->
          "Herald speaks HTTP/1.1 only; send the request as HTTP/1.1 (curl does by default)";
      case INTERNAL_ERROR, OTHER ->
          "Herald failed while reading this request; the server log has the details";
      default ->
          message == null || message.isEmpty() || message.equals(HELIDON_UNSAFE)
              ? "the request is not valid HTTP/1.1: its request line or headers cannot be read"
              : message;
    };
  }
}
