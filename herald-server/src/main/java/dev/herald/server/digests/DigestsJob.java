package dev.herald.server.digests;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationDispatcher;
import dev.herald.notify.Sink;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.job.Job;
import dev.herald.server.job.JobContext;
import dev.herald.server.job.RunningJob;
import dev.herald.server.metrics.MetricsText;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.store.Backend;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Quiet-period digests: the digest engine (an ingester reading each rule's stream, a closer
 * emitting due buckets) and the dispatcher delivering notifications to their sinks; {@code
 * /api/digests} and {@code /api/notifications}.
 */
public final class DigestsJob implements Job {

  @Override
  public String name() {
    return "digests";
  }

  @Override
  public Set<String> sections() {
    return Set.of("digests", "delivery");
  }

  @Override
  public DigestsConfig read(ConfigReader in) {
    return DigestsConfig.read(in);
  }

  private static final Duration LONG_IDLE = Duration.ofSeconds(1);

  @Override
  public RunningJob start(JobContext context) {
    DigestsConfig config = context.config().job(DigestsConfig.class);
    Backend backend = context.backend();
    DigestMetrics metrics = new DigestMetrics(config.rules(), backend.digests());
    DigestEngine.Options defaults = DigestEngine.Options.defaults(context.consumer());
    // where every new delivery is reported (this process's closes here, other processes' by the
    // store), the dispatcher is woken for them and its poll only catches retries that fall due
    boolean deliveriesReported = backend.notifications().reportsNewDeliveries();
    AtomicReference<AgentRunner> deliveryRunner = new AtomicReference<>();
    Runnable wakeDelivery =
        () -> {
          AgentRunner runner = deliveryRunner.get();
          if (runner != null) {
            runner.wake();
          }
        };
    DigestListener listener =
        !deliveriesReported
            ? metrics
            : new DigestListener() {
              @Override
              public void onIngested(DigestRule rule, int events) {
                metrics.onIngested(rule, events);
              }

              @Override
              public void onNotification(Notification notification) {
                metrics.onNotification(notification);
                wakeDelivery.run();
              }

              @Override
              public void onRejected(DigestRule rule, Event event, InvalidEventException reason) {
                metrics.onRejected(rule, event, reason);
              }
            };
    DigestEngine engine =
        new DigestEngine(
            backend.log(),
            backend.digests(),
            config.rules(),
            context.clock(),
            new DigestEngine.Options(
                    defaults.consumer(), defaults.batchSize(), defaults.lease(), context.failures())
                // every append reaches this process when stream readers may idle long
                .withDueRecheck(
                    context.logIdle().compareTo(LONG_IDLE) >= 0 ? LONG_IDLE : Duration.ZERO),
            listener);
    Map<String, List<Sink>> sinks = new LinkedHashMap<>();
    config.rules().forEach(rule -> sinks.put(rule.name(), rule.deliver()));
    NotificationDispatcher dispatcher =
        new NotificationDispatcher(
            backend.notifications(),
            backend.log(),
            sinks,
            config.delivery(),
            DigestsConfig.FAILED_STREAM,
            context.clock(),
            metrics);
    AgentRunner ingester = context.run(engine.ingester(), context.logIdle());
    context.run(engine.closer(), Duration.ofMillis(10));
    AgentRunner delivery =
        context.run(dispatcher, deliveriesReported ? LONG_IDLE : Duration.ofMillis(20));
    deliveryRunner.set(delivery);
    if (deliveriesReported) {
      backend.notifications().onNewDeliveries(delivery::wake);
    }
    return new RunningJob() {
      @Override
      public void wake() {
        ingester.wake();
      }

      @Override
      public void routes(HttpRouting.Builder routing, StreamRoutes streams) {
        routing
            // a flush writes notifications outside the engine: the dispatcher looks now
            .register("/api/digests", new DigestRoutes(engine, backend.digests(), delivery::wake))
            .register("/api/notifications", new NotificationRoutes(backend.notifications()));
      }

      @Override
      public void describe(ObjectNode about) {
        about.set(
            "digests",
            Json.MAPPER.valueToTree(config.rules().stream().map(DigestRule::name).toList()));
      }

      @Override
      public void writeTo(MetricsText out) {
        metrics.writeTo(out);
      }
    };
  }
}
