package dev.herald.postgres;

import dev.herald.inbox.ReviewsStoryContract;
import dev.herald.store.Backend;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;

class PostgresReviewsStoryIT extends ReviewsStoryContract {

  private final String schema = PostgresTestSupport.freshSchema();

  @Override
  public Backend openBackend(InstantSource clock) {
    return PostgresTestSupport.open(schema, clock);
  }

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }
}
