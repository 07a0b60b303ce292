package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What a closed digest bucket becomes: one message for one recipient listing every item.
 *
 * @param id deterministic: the same bucket always yields the same id, on any instance, so it serves
 *     as the idempotency key of every delivery
 * @param rule the digest rule
 * @param recipient the bucket's key
 * @param items the items in event-time order
 * @param firstAt earliest event time
 * @param lastAt latest event time
 * @param dueAt when the bucket was due
 * @param createdAt when the bucket was closed; {@code createdAt - dueAt} is the lateness
 */
public record Notification(
    String id,
    String rule,
    String recipient,
    List<JsonNode> items,
    Instant firstAt,
    Instant lastAt,
    Instant dueAt,
    Instant createdAt) {

  public Notification {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(recipient, "recipient");
    items = List.copyOf(items);
    Objects.requireNonNull(firstAt, "firstAt");
    Objects.requireNonNull(lastAt, "lastAt");
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /**
   * The id of the notification of the bucket of {@code key} opened by {@code openEventId}: {@code
   * n-} and the first 32 hex digits of SHA-1 over the three parts, each followed by a zero byte.
   * SHA-1 because Redis scripts can compute it too ({@code redis.sha1hex}); it names, it does not
   * protect.
   */
  public static String idFor(String rule, String key, String openEventId) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-1");
      for (String part : new String[] {rule, key, openEventId}) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return "n-" + HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  /** The JSON form used by the API and every sink. */
  public ObjectNode toJson() {
    ObjectNode json = Json.object();
    json.put("id", id);
    json.put("rule", rule);
    json.put("recipient", recipient);
    json.set("items", Json.MAPPER.valueToTree(items));
    json.put("firstAt", firstAt.toString());
    json.put("lastAt", lastAt.toString());
    json.put("dueAt", dueAt.toString());
    json.put("createdAt", createdAt.toString());
    return json;
  }
}
