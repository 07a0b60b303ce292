package dev.herald.redis;

import dev.herald.digest.DigestStoreContract;
import dev.herald.store.Backend;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

class RedisDigestStoreIT extends DigestStoreContract {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  public Backend openBackend(InstantSource clock) {
    return new RedisBackend(RedisTestSupport.URL, prefix, clock, List.of("seller-scans"), Map.of());
  }

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }
}
