package dev.herald.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * The one JSON codec Herald uses, so every module reads and writes JSON the same way.
 *
 * <p>Thread-safe: Jackson's {@link ObjectMapper} is safe to share once configured.
 */
public final class Json {

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** Serialises a tree or value to compact JSON text. */
  public static String write(Object value) {
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
    return value.isTextual() ? value.textValue() : value.toString();
  }
}
