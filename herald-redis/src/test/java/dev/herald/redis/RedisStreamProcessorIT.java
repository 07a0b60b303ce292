package dev.herald.redis;

import dev.herald.process.StreamProcessorContract;
import dev.herald.store.Backend;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

class RedisStreamProcessorIT extends StreamProcessorContract {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  public Backend openBackend(InstantSource clock) {
    return new RedisBackend(RedisTestSupport.URL, prefix, clock, List.of(), Map.of());
  }

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }
}
