package dev.herald.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.NewEvent;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteEngineCopiesTest {

  private final RouteRule rule =
      RouteRule.of(
          "review-recipients",
          "reviews",
          "brand",
          "brand-users",
          "reviews.by-user",
          "reviews.invalid");
  private final Instant noon = Instant.parse("2022-06-28T12:00:00Z");

  /** What the copies must be: the source's tree with the recipient and the source put in. */
  private List<String> treeCopies(ObjectNode data, String source, List<String> recipients) {
    return recipients.stream()
        .map(
            r -> {
              ObjectNode copy = data.deepCopy();
              copy.put(rule.recipientField(), r);
              copy.put(RouteEngine.SOURCE_FIELD, source);
              return Json.write(copy);
            })
        .toList();
  }

  @Test
  void copiesWrittenIntoTheStoredTextAreTheCopiesOfTheTree() {
    Random random = new Random(5);
    String alphabet = "ab1 \"\\é✓\n";
    for (int n = 0; n < 5_000; n++) {
      ObjectNode data = Json.object();
      for (int f = random.nextInt(5); f > 0; f--) {
        StringBuilder value = new StringBuilder();
        for (int c = random.nextInt(6); c > 0; c--) {
          value.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        switch (random.nextInt(4)) {
          case 0 -> data.put("f" + f, value.toString());
          case 1 -> data.put("n" + f, random.nextLong());
          case 2 -> data.set("o" + f, Json.object().put("x", value.toString()));
          default -> data.put("brand", "Brand" + random.nextInt(3));
        }
      }
      if (random.nextInt(10) == 0) {
        data.put(rule.recipientField(), "already"); // the tree path: the field is replaced in place
      }
      if (random.nextInt(10) == 0) {
        data.put(RouteEngine.SOURCE_FIELD, "elsewhere/1");
      }
      Event event = Event.stored("reviews", Long.toString(n + 1), n + 1, noon, Json.write(data));
      List<String> recipients = List.of("1", "2", "Zoë \"x\"");

      List<String> copies =
          RouteEngine.copies(rule, event, recipients).stream().map(NewEvent::json).toList();

      assertThat(copies).isEqualTo(treeCopies(data, "reviews/" + (n + 1), recipients));
    }
  }
}
