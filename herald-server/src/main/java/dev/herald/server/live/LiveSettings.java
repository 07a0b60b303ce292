package dev.herald.server.live;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.config.JobConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Live subscriptions (SSE and WebSocket) and chat topics: the {@code topics} and {@code live}
 * sections. Live subscribers read the log directly, in no consumer group.
 *
 * @param topics streams offered as chat topics by {@code /chat} (declared as streams too)
 * @param heartbeat how often an idle connection gets a heartbeat
 * @param maxLag how many events a subscriber may fall behind before it is disconnected
 * @param ringCapacity how many recent events each live stream keeps in memory
 */
public record LiveSettings(List<String> topics, Duration heartbeat, int maxLag, int ringCapacity)
    implements JobConfig {
  public static final LiveSettings DEFAULT =
      new LiveSettings(List.of(), Duration.ofSeconds(15), 1024, 4096);

  public LiveSettings {
    topics = List.copyOf(topics);
  }

  @Override
  public Map<String, String> consumers() {
    return Map.of();
  }

  @Override
  public Map<String, String> writes() {
    return Map.of();
  }

  @Override
  public List<EventCheck> checks() {
    return List.of();
  }

  static LiveSettings read(ConfigReader in) {
    return live(in, in.section("topics"), in.section("live"));
  }

  private static LiveSettings live(ConfigReader in, JsonNode topicsNode, JsonNode node) {
    List<String> topics = new ArrayList<>();
    if (!topicsNode.isMissingNode() && !topicsNode.isNull()) {
      if (!topicsNode.isArray()) {
        throw in.error(
            "/topics",
            "topics must be a list of stream names offered by /chat, like [chat.general, chat.random]");
      }
      for (int i = 0; i < topicsNode.size(); i++) {
        String name = topicsNode.get(i).asText();
        if (!topicsNode.get(i).isTextual() || !name.matches("[A-Za-z0-9._-]{1,200}")) {
          throw in.error(
              "/topics/" + i,
              "a topic is a stream name of letters, digits, '.', '_' and '-', but was "
                  + topicsNode.get(i));
        }
        topics.add(name);
        in.declareUnlimited(name);
      }
    }
    LiveSettings d = LiveSettings.DEFAULT;
    if (node.isMissingNode() || node.isNull()) {
      return new LiveSettings(topics, d.heartbeat(), d.maxLag(), d.ringCapacity());
    }
    in.requireObject(node, "/live");
    in.allowOnly(node, "/live", Set.of("heartbeat", "maxLag", "ringCapacity"));
    int maxLag =
        node.has("maxLag")
            ? in.integer(node.get("maxLag"), "/live/maxLag", 1, 1_000_000)
            : d.maxLag();
    int ring =
        node.has("ringCapacity")
            ? in.integer(node.get("ringCapacity"), "/live/ringCapacity", 1, 10_000_000)
            : Math.max(d.ringCapacity(), maxLag);
    if (ring < maxLag) {
      throw in.error(
          "/live/ringCapacity",
          "ringCapacity must be at least maxLag (" + maxLag + "), but was " + ring);
    }
    return new LiveSettings(
        topics,
        in.optionalDuration(node, "/live", "heartbeat").orElse(d.heartbeat()),
        maxLag,
        ring);
  }
}
