package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.digest.DigestItem;
import dev.herald.json.Json;
import dev.herald.notify.NotificationStoreContract;
import dev.herald.store.Backend;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PostgresNotificationStoreIT extends NotificationStoreContract {

  private final String schema = PostgresTestSupport.freshSchema();

  @Override
  public Backend openBackend(InstantSource clock) {
    return PostgresTestSupport.open(schema, clock);
  }

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }

  /** A bucket closed through one backend wakes the dispatcher of another (LISTEN/NOTIFY). */
  @Test
  void deliveriesWrittenThroughOneBackendWakeTheListenersOfAnother() throws Exception {
    try (Backend dispatching = openBackend(clock);
        Backend closing = openBackend(clock)) {
      Semaphore woken = new Semaphore(0);
      dispatching.notifications().onNewDeliveries(woken::release);
      Semaphore own = new Semaphore(0);
      closing.notifications().onNewDeliveries(own::release);
      assertThat(dispatching.notifications().reportsNewDeliveries()).isTrue();

      // the LISTEN starts on a thread of its own: close buckets until it hears one
      boolean heard = false;
      for (int i = 0; i < 50 && !heard; i++) {
        String key = "seller-" + i;
        closing
            .digests()
            .add(
                rule,
                List.of(
                    new DigestItem(
                        "e" + i, i + 1, key, clock.instant(), Json.MAPPER.valueToTree("P" + i))),
                clock.instant());
        closing.digests().flush(rule, key, clock.instant());
        heard = woken.tryAcquire(200, TimeUnit.MILLISECONDS);
      }
      assertThat(heard).as("woken by the other backend's close").isTrue();
      assertThat(own.tryAcquire(500, TimeUnit.MILLISECONDS))
          .as("a backend does not hear its own closes")
          .isFalse();
    }
  }
}
