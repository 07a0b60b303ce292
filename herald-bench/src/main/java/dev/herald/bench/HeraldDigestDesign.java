package dev.herald.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.bench.RedisDigestBenchmark.Design;
import dev.herald.bench.RedisDigestBenchmark.Ledger;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.notify.Notification;
import dev.herald.store.Backend;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Herald under a digest benchmark, on whichever backend: the digest engine in-process, ingesting
 * and closing on a thread each (as the server runs it), scans appended in the publishers' batches,
 * each notification reported to the ledger.
 */
final class HeraldDigestDesign implements Design {

  private final Backend backend;
  private final DigestRule rule;
  private final AgentRunner ingester;
  private final AgentRunner closer;

  /**
   * @param open opens the backend for the rule it is given (a Redis backend is told its outbox's
   *     rules)
   */
  HeraldDigestDesign(Ledger ledger, Function<DigestRule, Backend> open) {
    InstantSource clock = InstantSource.system();
    rule = DigestRule.of("seller-scans", "packages", "seller_id", "package_id", ledger.quiet);
    DigestListener listener =
        new DigestListener() {
          @Override
          public void onNotification(Notification n) {
            ledger.emit(
                n.recipient(),
                n.items().stream().map(JsonNode::asText).toList(),
                System.currentTimeMillis());
          }
        };
    backend = open.apply(rule);
    DigestEngine engine =
        new DigestEngine(
            backend.log(),
            backend.digests(),
            List.of(rule),
            clock,
            DigestEngine.Options.defaults("bench"),
            listener);
    ingester = new AgentRunner(engine.ingester(), Duration.ofMillis(1)).start();
    closer = new AgentRunner(engine.closer(), Duration.ofMillis(1)).start();
  }

  @Override
  public void publish(List<String[]> scans) {
    List<NewEvent> batch = new ArrayList<>(scans.size());
    for (String[] scan : scans) {
      ObjectNode event = Json.object();
      event.put("seller_id", scan[0]);
      event.put("package_id", scan[1]);
      batch.add(NewEvent.of(event));
    }
    backend.log().appendAll("packages", batch);
  }

  @Override
  public boolean caughtUp(long published) {
    var group = backend.log().info("packages").groups().getFirst();
    return group.lag() == 0 && group.pending() == 0;
  }

  @Override
  public long open() {
    return backend.digests().openBucketCount(rule.name());
  }

  @Override
  public void close() {
    ingester.close();
    closer.close();
    backend.close();
  }
}
