package dev.herald.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.UncheckedIOException;

/**
 * The one JSON codec Herald uses, so every module reads and writes JSON the same way.
 *
 * <p>Thread-safe: Jackson's {@link ObjectMapper} is safe to share once configured.
 */
public final class Json {

  /** How deep an event may nest objects and arrays (the event itself is level 1). */
  public static final int MAX_EVENT_DEPTH = 64;

  /**
   * Numbers are kept exactly as written: decimals as {@link java.math.BigDecimal}s with their scale
   * ({@code 1.50} stays {@code 1.50}, {@code 0.1000000000000000000001} is not rounded to a double,
   * {@code 1e999999999} does not become {@code Infinity}), integers of any size as such. The parser
   * refuses documents nested deeper than twice {@link #MAX_EVENT_DEPTH}, before any deeper
   * recursion: ingest checks the exact limit per event ({@link #depth}).
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(2 * MAX_EVENT_DEPTH).build())
                  .build())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private Json() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** Serialises a tree or value to compact JSON text. */
  public static String write(Object value) {
    // a lone string or integer is what a digest collects per event: written here without the
    // generator Jackson sets up for every call (a third of the engine's JSON time in the benchmark)
    if (value instanceof TextNode text) {
      return quote(text.textValue());
    }
    if (value instanceof IntNode || value instanceof LongNode) {
      return Long.toString(((JsonNode) value).longValue());
    }
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses JSON text that Herald itself wrote; a failure here means stored data is corrupt. */
  public static JsonNode parseTrusted(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses a JSON object that Herald itself wrote. */
  public static ObjectNode parseTrustedObject(String text) {
    JsonNode node = parseTrusted(text);
    if (node instanceof ObjectNode object) {
      return object;
    }
    throw new IllegalStateException("stored JSON is not an object: " + text);
  }

  /** Text of a scalar JSON value as a key: {@code 10} and {@code "10"} are the same key. */
  public static String keyText(JsonNode value) {
    if (value.isTextual()) {
      return value.textValue();
    }
    return value.isInt() || value.isLong() ? Long.toString(value.longValue()) : value.toString();
  }

  /**
   * How many levels of objects and arrays {@code node} nests, itself included (a scalar is 0).
   * Recursive: a tree from {@link #MAPPER} is at most twice {@link #MAX_EVENT_DEPTH} deep, and a
   * flat event (the common one) allocates nothing.
   */
  public static int depth(JsonNode node) {
    if (!node.isContainerNode()) {
      return 0;
    }
    int deepest = 0;
    for (JsonNode child : node) {
      if (child.isContainerNode()) {
        deepest = Math.max(deepest, depth(child));
      }
    }
    return deepest + 1;
  }

  /** A JSON string literal, escaped as Jackson escapes it (checked against Jackson by a test). */
  public static String quote(String text) {
    StringBuilder out = null;
    int copied = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length() + 16).append('"');
      }
      out.append(text, copied, i);
      copied = i + 1;
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    if (out == null) {
      return "\"" + text + "\"";
    }
    return out.append(text, copied, text.length()).append('"').toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
