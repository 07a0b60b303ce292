package dev.herald.topic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LiveEventTest {

  @Test
  void rendersTheStoredTextAsWritingTheTreeWould() {
    Random random = new Random(9);
    String alphabet = "ab1 \"\\é✓\n\u0002";
    for (int n = 0; n < 2_000; n++) {
      ObjectNode data = Json.object();
      for (int f = random.nextInt(4); f > 0; f--) {
        StringBuilder value = new StringBuilder();
        for (int c = random.nextInt(6); c > 0; c--) {
          value.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        data.put("f" + f, value.toString());
        data.set("o" + f, Json.object().put("n", random.nextLong()));
      }
      Event event =
          Event.stored(
              "chat.general",
              n + "-" + random.nextInt(100),
              n,
              Instant.ofEpochMilli(random.nextLong(0, 4_000_000_000_000L)),
              Json.write(data));

      LiveEvent live = LiveEvent.of(event);

      assertThat(live.json()).isEqualTo(Json.write(LiveEvent.toJson(event)));
      assertThat(live.json()).as("one SSE data line").doesNotContain("\n").doesNotContain("\r");
      assertThat(new String(live.sseFrame(), StandardCharsets.UTF_8))
          .isEqualTo("id: " + event.id() + "\ndata: " + live.json() + "\n\n");
    }
  }
}
