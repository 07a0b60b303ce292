package dev.herald.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A YAML document read into a JSON tree that remembers the line of every node, so that a validation
 * error can say where in the file the problem is.
 */
final class LocatedYaml {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Path file;
  private final JsonNode root;
  private final Map<String, Integer> lines;

  private LocatedYaml(Path file, JsonNode root, Map<String, Integer> lines) {
    this.file = file;
    this.root = root;
    this.lines = lines;
  }

  static LocatedYaml read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("configuration file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
    Map<String, Integer> lines = new HashMap<>();
    try (JsonParser parser = YAML.getFactory().createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null || first == JsonToken.VALUE_NULL) {
        throw new ConfigException(
            "configuration file "
                + file
                + " is empty: declare at least one stream (streams:) or topic (topics:);"
                + " the README's configuration reference lists every setting, and the shipped herald.yaml is a start");
      }
      return new LocatedYaml(file, node(parser, "", lines, file), lines);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ConfigException(
          file + " line " + line + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode node(
      JsonParser parser, String pointer, Map<String, Integer> lines, Path file) throws IOException {
    lines.putIfAbsent(pointer, parser.currentTokenLocation().getLineNr());
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT) {
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        String child = pointer + "/" + name;
        int line = parser.currentTokenLocation().getLineNr();
        if (object.has(name)) {
          // YAML parsers let the last one win: a setting written twice would silently lose the
          // first
          throw new ConfigException(
              file
                  + " line "
                  + line
                  + " ("
                  + child.substring(1).replace('/', '.')
                  + "): '"
                  + name
                  + "' is set twice, first at line "
                  + lines.get(child)
                  + "; keep one of them");
        }
        lines.put(child, line);
        parser.nextToken();
        object.set(name, node(parser, child, lines, file));
      }
      return object;
    }
    if (token == JsonToken.START_ARRAY) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      int index = 0;
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        array.add(node(parser, pointer + "/" + index++, lines, file));
      }
      return array;
    }
    return parser.readValueAsTree() instanceof JsonNode scalar
        ? scalar
        : JsonNodeFactory.instance.nullNode();
  }

  Path file() {
    return file;
  }

  JsonNode root() {
    return root;
  }

  /** An error located at the node {@code pointer} (like {@code /digests/seller-scans/stream}). */
  ConfigException error(String pointer, String problem) {
    Integer line = lines.get(pointer);
    String at = line == null ? "" : " line " + line;
    String path = pointer.isEmpty() ? "" : " (" + pointer.substring(1).replace('/', '.') + ")";
    return new ConfigException(file + at + path + ": " + problem);
  }
}
