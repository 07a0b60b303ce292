package dev.herald.postgres;

import dev.herald.store.Backend;
import dev.herald.topic.TopicsContract;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;

class PostgresTopicsIT extends TopicsContract {

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
