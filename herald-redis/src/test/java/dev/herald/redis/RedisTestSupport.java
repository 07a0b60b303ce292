package dev.herald.redis;

import dev.herald.testing.ExternalService;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.UUID;

/**
 * Where the Redis tests run: {@link ExternalService#REDIS} (the rule for every external service:
 * {@code HERALD_TEST_REDIS_URL}, else redis://127.0.0.1:6379/15; with {@code CI=true} a missing
 * Redis fails the tests, elsewhere they are skipped with a reason), and keys of their own.
 */
public final class RedisTestSupport {

  public static final String URL = ExternalService.REDIS.url();

  private RedisTestSupport() {}

  /** A key prefix no other test uses, once Redis answers. */
  public static String freshPrefix() {
    ExternalService.REDIS.require();
    return "herald-test:" + UUID.randomUUID() + ":";
  }

  /** Deletes every key under {@code prefix}. */
  public static void clean(String prefix) {
    RedisClient client = RedisClient.create(URL);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      ScanIterator<String> keys =
          ScanIterator.scan(connection.sync(), ScanArgs.Builder.matches(prefix + "*").limit(500));
      while (keys.hasNext()) {
        connection.sync().del(keys.next());
      }
    } finally {
      client.shutdown();
    }
  }
}
