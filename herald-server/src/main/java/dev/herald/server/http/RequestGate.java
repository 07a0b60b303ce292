package dev.herald.server.http;

import dev.herald.server.listener.OriginPolicy;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Lets state-changing requests (POST, PUT, DELETE, PATCH) through only in forms that a web page of
 * another origin cannot send behind its user's back. A page may send a "simple" cross-origin POST
 * (a form, or {@code fetch} with {@code text/plain}) without asking the server first; so a request
 * with a body must declare JSON (or NDJSON), which no simple request can (415 otherwise), and a
 * request a browser marks with an {@code Origin} must come from an allowed one (403 otherwise).
 * Requests from curl, the CLI or services send no {@code Origin} and pass.
 */
public final class RequestGate implements Filter {

  private static final Set<Method> CHANGING =
      Set.of(Method.POST, Method.PUT, Method.DELETE, Method.PATCH);
  private static final Set<String> BODY_TYPES =
      Set.of("application/json", "application/x-ndjson", "application/jsonl");

  private final OriginPolicy origins;

  public RequestGate(OriginPolicy origins) {
    this.origins = origins;
  }

  @Override
  public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    if (CHANGING.contains(req.prologue().method())) {
      Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
      if (origin.isPresent()
          && !origins.allows(origin.get(), req.headers().first(HeaderNames.HOST))) {
        throw new ProblemException(
            403,
            "cross-origin-request",
            req.prologue().method().text()
                + " from a page of origin '"
                + origin.get()
                + "' is refused: "
                + origins.describe());
      }
      if (hasBody(req)) {
        String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        String mediaType = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!BODY_TYPES.contains(mediaType)) {
          throw new ProblemException(
              415,
              "unsupported-media-type",
              "a request body must be sent with Content-Type: application/json "
                  + "(or application/x-ndjson for events one per line), but was "
                  + (type.isEmpty() ? "none" : "'" + type + "'"));
        }
      }
    }
    chain.proceed();
  }

  private static boolean hasBody(RoutingRequest req) {
    return req.headers().contentLength().orElse(0) > 0
        || req.headers().contains(HeaderNames.TRANSFER_ENCODING);
  }
}
