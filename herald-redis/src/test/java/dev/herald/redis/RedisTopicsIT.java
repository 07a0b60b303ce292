package dev.herald.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.store.Backend;
import dev.herald.topic.Subscription;
import dev.herald.topic.Topics;
import dev.herald.topic.TopicsContract;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RedisTopicsIT extends TopicsContract {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  public Backend openBackend(InstantSource clock) {
    return new RedisBackend(RedisTestSupport.URL, prefix, clock, List.of(), Map.of());
  }

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }

  /** A cursor older than every id ("0-1") on a stream never trimmed missed nothing: no reset. */
  @Test
  void anEarlyCursorOnAStreamNeverTrimmedIsNoReset() {
    try (Backend backend = openBackend(InstantSource.system())) {
      backend.log().append("early", NewEvent.of(Json.object().put("text", "first")));
      Topics topics = new Topics(backend.log(), Topics.Options.DEFAULT);
      try (Subscription subscription = topics.subscribe("early", "0-1")) {
        assertThat(subscription.reset()).isEmpty();
      }
    }
  }
}
