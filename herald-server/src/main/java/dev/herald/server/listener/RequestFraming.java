package dev.herald.server.listener;

import io.helidon.http.DirectHandler.EventType;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses requests whose body length can be read two ways, the ground of request smuggling: a proxy
 * in front of Herald and Herald itself could then disagree on where a request ends and a client's
 * second request hides in the first one's body (RFC 9112 section 6.3).
 */
final class RequestFraming {

  /**
   * @throws RequestException (answered 400, and the connection closed) when the headers carry
   *     {@code Content-Length} values that differ, {@code Content-Length} together with {@code
   *     Transfer-Encoding}, or a transfer coding other than {@code chunked}
   */
  void check(Headers headers) {
    List<String> lengths = headers.all(HeaderNames.CONTENT_LENGTH, List::of);
    List<String> codings = headers.all(HeaderNames.TRANSFER_ENCODING, List::of);
    if (!codings.isEmpty() && !lengths.isEmpty()) {
      throw badRequest(
          "the request has both Content-Length and Transfer-Encoding; send one of them");
    }
    Set<String> distinct = new LinkedHashSet<>();
    for (String value : lengths) {
      for (String part : value.split(",", -1)) {
        distinct.add(part.trim());
      }
    }
    if (distinct.size() > 1) {
      throw badRequest(
          "the request has conflicting Content-Length values " + distinct + "; send one");
    }
    for (String coding : codings) {
      if (!coding.trim().toLowerCase(Locale.ROOT).equals("chunked")) {
        throw badRequest(
            "Transfer-Encoding '"
                + coding
                + "' is not supported; send chunked or a Content-Length");
      }
    }
    if (codings.size() > 1) {
      throw badRequest(
          "Transfer-Encoding is given " + codings.size() + " times; give chunked once");
    }
  }

  private static RequestException badRequest(String message) {
    return RequestException.builder()
        .type(EventType.BAD_REQUEST)
        .status(Status.BAD_REQUEST_400)
        .message(message)
        .safeMessage(true)
        .setKeepAlive(false)
        .build();
  }
}
