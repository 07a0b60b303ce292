package dev.herald.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.UUID;

/**
 * Where the Redis tests run: {@code HERALD_TEST_REDIS_URL}, else redis://127.0.0.1:6379/15. With
 * {@code CI=true} a missing Redis fails the tests; elsewhere they are skipped with a reason.
 */
public final class RedisTestSupport {

  public static final String URL =
      System.getenv().getOrDefault("HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15");

  private RedisTestSupport() {}

  /** A key prefix no other test uses. */
  public static String freshPrefix() {
    boolean reachable;
    try (RedisDatabase db = RedisDatabase.connect(URL, "probe:")) {
      reachable = "PONG".equals(db.call(redis -> redis.ping()));
    } catch (RuntimeException e) {
      reachable = false;
    }
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(
          reachable,
          "no Redis at " + URL + " (set HERALD_TEST_REDIS_URL; with CI=true this fails)");
    } else if (!reachable) {
      throw new IllegalStateException("CI=true but no Redis answers at " + URL);
    }
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
