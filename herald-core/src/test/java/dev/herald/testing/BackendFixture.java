package dev.herald.testing;

import dev.herald.store.Backend;
import java.time.InstantSource;

/**
 * How a contract suite gets the backend under test. Opening twice in one test must give two views
 * of the same data, so that a test can close one and "restart".
 */
public interface BackendFixture {

  /** Opens the backend on this test's storage, which starts empty for each test. */
  Backend openBackend(InstantSource clock);
}
