package dev.herald.server.config;

import java.time.Duration;
import java.util.List;

/**
 * Live subscriptions (SSE and WebSocket).
 *
 * @param topics streams offered as chat topics by {@code /chat} (declared as streams too)
 * @param heartbeat how often an idle connection gets a heartbeat
 * @param maxLag how many events a subscriber may fall behind before it is disconnected
 * @param ringCapacity how many recent events each live stream keeps in memory
 */
public record LiveSettings(List<String> topics, Duration heartbeat, int maxLag, int ringCapacity) {
  public static final LiveSettings DEFAULT =
      new LiveSettings(List.of(), Duration.ofSeconds(15), 1024, 4096);

  public LiveSettings {
    topics = List.copyOf(topics);
  }
}
