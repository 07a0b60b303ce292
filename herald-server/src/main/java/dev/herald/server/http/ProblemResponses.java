package dev.herald.server.http;

import dev.herald.Redaction;
import dev.herald.log.IdempotencyConflictException;
import dev.herald.log.InvalidEventException;
import dev.herald.log.StoreTimeoutException;
import dev.herald.log.StoreUnavailableException;
import dev.herald.server.listener.ProblemDocument;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become HTTP answers: every error is {@code
 * application/problem+json} (RFC 9457) with a {@code detail} that says what is wrong and where.
 */
public final class ProblemResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemResponses.class);

  private ProblemResponses() {}

  public static void register(HttpRouting.Builder routing) {
    routing.error(
        ProblemException.class,
        (req, res, e) -> send(req, res, e.status(), e.type(), e.getMessage()));
    routing.error(
        InvalidEventException.class,
        (req, res, e) -> send(req, res, 422, "invalid-event", e.getMessage()));
    routing.error(
        IdempotencyConflictException.class,
        (req, res, e) -> send(req, res, 422, "idempotency-key-reused", e.getMessage()));
    routing.error(
        StoreUnavailableException.class,
        (req, res, e) -> {
          LOG.warn(
              "store unavailable while serving {} {}: {}",
              req.prologue().method().text(),
              req.path().absolute().path(),
              Redaction.redact(e.getMessage()));
          res.header(HeaderNames.RETRY_AFTER, "1");
          send(req, res, 503, "store-unavailable", storeUnavailable(e));
        });
    routing.error(
        Exception.class,
        (req, res, e) -> {
          String id = errorId();
          // one line per failure: a deep structure's stack trace alone was a thousand lines
          LOG.error(
              "unexpected error {} serving {} {}: {}",
              id,
              req.prologue().method().text(),
              req.path().absolute().path(),
              oneLine(e));
          LOG.debug("unexpected error {}", id, e);
          send(
              req,
              res,
              500,
              "internal-error",
              "Herald failed unexpectedly while serving this request; the server log has the details "
                  + "under error "
                  + id);
        });
  }

  /**
   * What a client is told when the store failed: never the store's own message (file paths, URLs).
   */
  public static String storeUnavailable(StoreUnavailableException e) {
    if (e instanceof StoreTimeoutException) {
      return "the store did not answer in time: the change may have been stored or not; retry with the same Idempotency-Key "
          + "header so that it is stored once";
    }
    return "the store is unavailable; nothing was stored; retry later";
  }

  private static String errorId() {
    return Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 16);
  }

  /** The exception and the first frames where it was thrown, on one line. */
  static String oneLine(Throwable e) {
    StringBuilder line = new StringBuilder(Redaction.redact(e.toString()));
    StackTraceElement[] frames = e.getStackTrace();
    for (int i = 0; i < Math.min(4, frames.length); i++) {
      line.append(i == 0 ? " at " : " < ").append(frames[i]);
    }
    if (e.getCause() != null && e.getCause() != e) {
      line.append("; caused by ").append(Redaction.redact(e.getCause().toString()));
    }
    return line.toString();
  }

  static void send(ServerRequest req, ServerResponse res, int status, String type, String detail) {
    res.status(Status.create(status));
    res.header(HeaderNames.CONTENT_TYPE, "application/problem+json");
    res.send(ProblemDocument.body(status, type, detail, Optional.of(req.path().absolute().path())));
  }
}
