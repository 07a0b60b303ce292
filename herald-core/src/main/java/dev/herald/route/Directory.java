package dev.herald.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A named map from a key (a brand) to the recipients responsible for it (its users), in the format
 * users keep it in: {@code {"Brand1": [1, 2], "Brand2": [4]}}. Keys and recipients are compared as
 * text, so {@code 1} and {@code "1"} are the same user.
 *
 * @param name the directory's name in the configuration
 * @param entries key → recipients, in file order; each list without duplicates
 */
public record Directory(String name, Map<String, List<String>> entries) {

  public Directory {
    Objects.requireNonNull(name, "name");
    Map<String, List<String>> copy = new LinkedHashMap<>();
    entries.forEach((key, recipients) -> copy.put(key, List.copyOf(recipients)));
    entries = java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * Reads the directory format.
   *
   * @throws InvalidDirectoryException naming the entry when {@code json} is not an object whose
   *     values are arrays of strings or numbers
   */
  public static Directory parse(String name, JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new InvalidDirectoryException(
          "a directory must be a JSON object of arrays, like {\"Brand1\": [1, 2]}, but was "
              + (json == null
                  ? "empty"
                  : json.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    Map<String, List<String>> entries = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = json.properties().iterator();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode value = field.getValue();
      if (!value.isArray()) {
        throw new InvalidDirectoryException(
            "entry \"" + field.getKey() + "\" must be an array of recipients, but was " + value);
      }
      List<String> recipients = new ArrayList<>();
      for (int i = 0; i < value.size(); i++) {
        JsonNode recipient = value.get(i);
        if (!(recipient.isTextual() || recipient.isIntegralNumber())
            || Json.keyText(recipient).isEmpty()) {
          throw new InvalidDirectoryException(
              "entry \""
                  + field.getKey()
                  + "\", recipient "
                  + (i + 1)
                  + " must be a string or an integer, but was "
                  + recipient);
        }
        String text = Json.keyText(recipient);
        if (!recipients.contains(text)) {
          recipients.add(text);
        }
      }
      entries.put(field.getKey(), recipients);
    }
    return new Directory(name, entries);
  }

  /** The recipients of {@code key}; empty when the key is unknown. */
  public List<String> recipients(String key) {
    return entries.getOrDefault(key, List.of());
  }

  public boolean contains(String key) {
    return entries.containsKey(key);
  }

  /** The directory in its file format; numeric-looking recipients are written as numbers. */
  public ObjectNode toJson() {
    ObjectNode json = Json.object();
    entries.forEach(
        (key, recipients) -> {
          ArrayNode array = json.putArray(key);
          for (String recipient : recipients) {
            if (recipient.matches("-?[0-9]{1,18}")) {
              array.add(Long.parseLong(recipient));
            } else {
              array.add(recipient);
            }
          }
        });
    return json;
  }
}
