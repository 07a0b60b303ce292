package dev.herald.server.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Reads the events of a POST body: one JSON object, a JSON array of objects (a batch), or NDJSON
 * (one object per line, with {@code Content-Type: application/x-ndjson}). Any bad part rejects the
 * whole body, so nothing is stored partially: bytes that are not UTF-8 (named by offset), an event
 * nested deeper than {@link Json#MAX_EVENT_DEPTH} levels. Numbers are kept exactly as written
 * ({@link Json#MAPPER}).
 */
public final class EventBodies {

  private static final ObjectReader STRICT =
      Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final long maxBytes;

  public EventBodies(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public List<ObjectNode> read(ServerRequest req) {
    byte[] body = bytes(req);
    String contentType =
        req.headers()
            .first(HeaderNames.CONTENT_TYPE)
            .orElse("application/json")
            .toLowerCase(Locale.ROOT);
    String text = utf8(body);
    if (text.isBlank()) {
      throw ProblemException.badRequest(
          "the body is empty; send a JSON object, an array of objects, or NDJSON");
    }
    if (contentType.startsWith("application/x-ndjson")
        || contentType.startsWith("application/jsonl")) {
      return ndjson(text);
    }
    JsonNode root = parse(text, "the body");
    if (root instanceof ObjectNode object) {
      checkDepth(object, "the event");
      return List.of(object);
    }
    if (root.isArray()) {
      if (root.isEmpty()) {
        throw ProblemException.badRequest("the batch is empty; send at least one event");
      }
      List<ObjectNode> events = new ArrayList<>(root.size());
      for (int i = 0; i < root.size(); i++) {
        if (!(root.get(i) instanceof ObjectNode object)) {
          throw ProblemException.badRequest(
              "element "
                  + i
                  + " of the array must be a JSON object, but was "
                  + kind(root.get(i))
                  + "; nothing was stored");
        }
        checkDepth(object, "element " + i + " of the array");
        events.add(object);
      }
      return events;
    }
    throw ProblemException.badRequest(
        "the body must be a JSON object, an array of objects, or NDJSON, but was " + kind(root));
  }

  /** Reads the body as one JSON document of any kind. */
  public JsonNode document(ServerRequest req) {
    String text = utf8(bytes(req));
    if (text.isBlank()) {
      throw ProblemException.badRequest("the body is empty; send a JSON document");
    }
    return parse(text, "the body");
  }

  private byte[] bytes(ServerRequest req) {
    long declared = req.headers().contentLength().orElse(-1);
    if (declared > maxBytes) {
      throw tooLarge();
    }
    try (InputStream in = req.content().inputStream()) {
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (body.length > maxBytes) {
        throw tooLarge();
      }
      return body;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ProblemException tooLarge() {
    return new ProblemException(
        413,
        "body-too-large",
        "the body is larger than the limit of "
            + maxBytes
            + " bytes (server.maxBodySize); split it into smaller batches");
  }

  private static List<ObjectNode> ndjson(String text) {
    List<ObjectNode> events = new ArrayList<>();
    String[] lines = text.split("\r?\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      JsonNode node = parse(lines[i], "line " + (i + 1) + " of the NDJSON body");
      if (!(node instanceof ObjectNode object)) {
        throw ProblemException.badRequest(
            "line "
                + (i + 1)
                + " of the NDJSON body must be a JSON object, but was "
                + kind(node)
                + "; nothing was stored");
      }
      checkDepth(object, "line " + (i + 1) + " of the NDJSON body");
      events.add(object);
    }
    return events;
  }

  /**
   * The body as text, refusing bytes that are not UTF-8 (a lenient decoder would turn them into
   * U+FFFD and store something the client never sent).
   */
  public static String utf8(byte[] body) {
    // the JDK's own decoding is much the fastest, and turns only invalid bytes, or an encoded
    // U+FFFD itself, into U+FFFD: decode strictly just to tell those two apart
    String text = new String(body, StandardCharsets.UTF_8);
    if (text.indexOf('\uFFFD') < 0) {
      return text;
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(body.length);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int at = in.position();
      throw ProblemException.badRequest(
          "the body is not valid UTF-8: byte "
              + at
              + " (0x"
              + HexFormat.of().toHexDigits(body[at])
              + ") does not start or continue a UTF-8 character; send the text encoded as UTF-8");
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  /** Refuses an event nested deeper than {@link Json#MAX_EVENT_DEPTH} levels. */
  public static void checkDepth(ObjectNode event, String what) {
    int depth = Json.depth(event);
    if (depth > Json.MAX_EVENT_DEPTH) {
      throw ProblemException.badRequest(
          what
              + " nests objects and arrays "
              + depth
              + " levels deep; at most "
              + Json.MAX_EVENT_DEPTH
              + " are allowed; nothing was stored");
    }
  }

  private static JsonNode parse(String text, String what) {
    try {
      return STRICT.readTree(text);
    } catch (StreamConstraintsException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " (at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr()
                  + ")";
      throw ProblemException.badRequest(
          what
              + " nests objects and arrays deeper than "
              + Json.MAX_EVENT_DEPTH
              + " levels"
              + where
              + "; at most "
              + Json.MAX_EVENT_DEPTH
              + " are allowed; nothing was stored");
    } catch (JsonParseException e) {
      throw ProblemException.badRequest(
          what
              + " is not valid JSON at line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ": "
              + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw ProblemException.badRequest(what + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }
}
