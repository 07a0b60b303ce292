package dev.herald.server.store;

import dev.herald.redis.RedisTestSupport;
import dev.herald.store.Backend;
import dev.herald.store.Durability;
import dev.herald.store.StoreSettings;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A backend of SQLite state stores fed by a Redis log, as {@code store: sqlite} with {@code log:
 * redis://…} opens it: the combination whose ids (Redis's "ms-seq") the SQLite state must not
 * parse. Opening it twice on one folder and prefix gives two views of the same data.
 */
final class SqliteStateRedisLog {

  private final Path data;
  private final String prefix = RedisTestSupport.freshPrefix();

  SqliteStateRedisLog(Path data) {
    this.data = data;
  }

  Backend open(InstantSource clock) {
    return Backends.open(
        new StoreSettings(
            "sqlite",
            data,
            Durability.PROCESS_CRASH,
            prefix,
            "herald",
            clock,
            List.of("seller-scans"),
            Map.of()),
        Optional.of(RedisTestSupport.URL));
  }

  void clean() {
    RedisTestSupport.clean(prefix);
  }
}
