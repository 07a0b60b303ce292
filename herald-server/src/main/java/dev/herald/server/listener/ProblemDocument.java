package dev.herald.server.listener;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import io.helidon.http.Status;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The {@code application/problem+json} document (RFC 9457) every error answer of Herald's carries,
 * from the routes and from the listener alike.
 */
public final class ProblemDocument {

  private ProblemDocument() {}

  /** The problem document, as every answer of Herald's carries it. */
  public static byte[] body(int status, String type, String detail, Optional<String> instance) {
    ObjectNode problem = Json.object();
    problem.put("type", "urn:herald:problem:" + type);
    problem.put("title", Status.create(status).reasonPhrase());
    problem.put("status", status);
    problem.put("detail", detail);
    instance.ifPresent(path -> problem.put("instance", path));
    return Json.write(problem).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A whole HTTP/1.1 answer with the problem document that closes the connection, for the places
   * that answer before (or instead of) Helidon's routing: a connection refused past the limit, a
   * request whose headers came too slowly.
   */
  public static byte[] rawClosing(int status, String type, String detail) {
    byte[] body = body(status, type, detail, Optional.empty());
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + Status.create(status).reasonPhrase()
            + "\r\n"
            + "Content-Type: application/problem+json\r\n"
            + "Content-Length: "
            + body.length
            + "\r\n"
            + (status == 503 ? "Retry-After: 1\r\n" : "")
            + "Connection: close\r\n\r\n";
    byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[head8.length + body.length];
    System.arraycopy(head8, 0, all, 0, head8.length);
    System.arraycopy(body, 0, all, head8.length, body.length);
    return all;
  }
}
