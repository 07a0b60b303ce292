package dev.herald.postgres;

import dev.herald.digest.DigestStoreContract;
import dev.herald.store.Backend;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;

class PostgresDigestStoreIT extends DigestStoreContract {

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
