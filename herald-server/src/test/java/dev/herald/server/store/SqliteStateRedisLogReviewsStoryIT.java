package dev.herald.server.store;

import dev.herald.inbox.ReviewsStoryContract;
import dev.herald.store.Backend;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The reviews stories (routes, inboxes, alerts) with SQLite state under a Redis log. */
class SqliteStateRedisLogReviewsStoryIT extends ReviewsStoryContract {

  @TempDir Path data;
  private SqliteStateRedisLog pair;

  @Override
  public Backend openBackend(InstantSource clock) {
    // the contract's own set-up opens the backend, before a set-up of this class would run
    if (pair == null) {
      pair = new SqliteStateRedisLog(data);
    }
    return pair.open(clock);
  }

  @AfterEach
  void clean() {
    if (pair != null) {
      pair.clean();
    }
  }
}
