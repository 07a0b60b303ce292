package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.postgres.PostgresTestSupport;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PostgresMultiInstanceIT extends MultiInstanceScenario {

  private final String schema = PostgresTestSupport.freshSchema();

  @Override
  protected String storeSection() {
    return "store:\n  url: %s\n  schema: %s\n".formatted(PostgresTestSupport.URL, schema);
  }

  @Override
  protected void cleanStore() {
    PostgresTestSupport.drop(schema);
  }

  /**
   * b is killed with events in hand and started again on its data folder: under its old consumer
   * name it takes them back at once. Left to the lease, a would claim them 30 s after b read them.
   */
  @Test
  void aRestartedServerTakesBackItsOwnPendingEventsBeforeTheLease() throws Exception {
    ServerProcess a = server("a");
    ServerProcess b = server("b");
    AtomicInteger kills = new AtomicInteger();
    AtomicReference<Long> killedAt = new AtomicReference<>();

    Set<String> acknowledged =
        post(
            List.of(a, b),
            20_000,
            10_000,
            () -> {
              if (kills.getAndIncrement() == 0) {
                try {
                  b.kill();
                  killedAt.set(System.nanoTime());
                  server("b");
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });

    Duration sinceKill = Duration.ofNanos(System.nanoTime() - killedAt.get());
    assertThat(sinceKill)
        .as("time the rest of the posting took")
        .isLessThan(Duration.ofSeconds(15));
    assertEachOnce(
        new TestHttp(a.port()), acknowledged, 10_000, Duration.ofSeconds(20).minus(sinceKill));
  }
}
