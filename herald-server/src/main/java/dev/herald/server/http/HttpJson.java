package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Writing JSON answers and reading query parameters the same way in every route. */
public final class HttpJson {

  private HttpJson() {}

  public static void send(ServerResponse res, int status, JsonNode body) {
    res.status(Status.create(status));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  public static Optional<String> query(ServerRequest req, String name) {
    return req.query().first(name).asOptional().filter(v -> !v.isEmpty());
  }

  /** The {@code limit} query parameter, 1 to {@code max}, or {@code fallback} when absent. */
  public static int limit(ServerRequest req, int fallback, int max) {
    Optional<String> raw = query(req, "limit");
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      int limit = Integer.parseInt(raw.get());
      if (limit >= 1 && limit <= max) {
        return limit;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ProblemException.badRequest(
        "query parameter 'limit' must be a whole number from 1 to "
            + max
            + ", but was '"
            + raw.get()
            + "'");
  }
}
