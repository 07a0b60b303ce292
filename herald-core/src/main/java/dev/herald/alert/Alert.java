package dev.herald.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Something an operator should look at, as written to the alerts stream: {@code
 * {"type","subject","detail","raisedAt"}}, and for the matching resolution the same type and
 * subject with {@code resolvedAt}.
 *
 * <p>Alerts of a {@linkplain #CONDITIONS condition} type (a stale inbox) stay active until
 * resolved; the others (an invalid event) are notices about one thing that happened.
 *
 * @param type what kind of alert
 * @param subject what it is about, e.g. {@code reviews/1} for the inbox of user 1
 * @param detail what is wrong, for a human
 * @param raisedAt when it was raised
 * @param resolvedAt when it was resolved; empty while active
 */
public record Alert(
    String type, String subject, String detail, Instant raisedAt, Optional<Instant> resolvedAt) {

  public static final String STALE_INBOX = "stale-inbox";
  public static final String INVALID_EVENT = "invalid-event";

  /** Types that describe a lasting condition, active until resolved. */
  public static final Set<String> CONDITIONS = Set.of(STALE_INBOX);

  public Alert {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(raisedAt, "raisedAt");
    Objects.requireNonNull(resolvedAt, "resolvedAt");
  }

  public boolean condition() {
    return CONDITIONS.contains(type);
  }

  public ObjectNode toJson() {
    ObjectNode json = Json.object();
    json.put("type", type);
    json.put("subject", subject);
    json.put("detail", detail);
    json.put("raisedAt", raisedAt.toString());
    resolvedAt.ifPresent(at -> json.put("resolvedAt", at.toString()));
    return json;
  }

  /** Reads an alert event; empty when {@code json} is not one. */
  public static Optional<Alert> fromJson(JsonNode json) {
    try {
      return Optional.of(
          new Alert(
              json.get("type").textValue(),
              json.get("subject").textValue(),
              json.get("detail").textValue(),
              Instant.parse(json.get("raisedAt").textValue()),
              json.hasNonNull("resolvedAt")
                  ? Optional.of(Instant.parse(json.get("resolvedAt").textValue()))
                  : Optional.empty()));
    } catch (RuntimeException notAnAlert) {
      return Optional.empty();
    }
  }
}
