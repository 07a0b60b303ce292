package dev.herald.server.reviews;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.alert.Alert;
import dev.herald.alert.AlertBoard;
import dev.herald.alert.InboxMonitor;
import dev.herald.inbox.InboxEngine;
import dev.herald.inbox.InboxRule;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.route.Directories;
import dev.herald.route.RouteEngine;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.job.Job;
import dev.herald.server.job.JobContext;
import dev.herald.server.job.RunningJob;
import dev.herald.server.metrics.MetricsText;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.store.Backend;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reviews: routes fan events out to the recipients a directory names, inboxes aggregate them until
 * their recipient pulls, and the alert board raises alerts for stale inboxes and unroutable events;
 * {@code /api/directories}, {@code /api/inboxes} and {@code /api/alerts}.
 */
public final class ReviewsJob implements Job {

  private static final Logger LOG = LoggerFactory.getLogger(ReviewsJob.class);

  /** The most events a route or inbox takes in one batch, and how long it holds them. */
  private static final int BATCH = 10_000;

  private static final Duration LEASE = Duration.ofSeconds(30);

  @Override
  public String name() {
    return "reviews";
  }

  @Override
  public Set<String> sections() {
    return Set.of("directories", "routes", "inboxes", "alerts");
  }

  @Override
  public ReviewsConfig read(ConfigReader in) {
    return ReviewsConfig.read(in);
  }

  @Override
  public RunningJob start(JobContext context) {
    ReviewsConfig config = context.config().job(ReviewsConfig.class);
    Backend backend = context.backend();
    Directories directories =
        new Directories(
            config.directories().values().stream().map(DirectoryConfig::initial).toList(),
            replacing -> {
              DirectoryConfig declared = config.directories().get(replacing.name());
              declared.file().ifPresent(file -> DirectoryFiles.write(replacing, file));
              LOG.info(
                  "directory '{}' replaced: {} keys{}",
                  replacing.name(),
                  replacing.entries().size(),
                  declared.file().map(f -> ", written to " + f).orElse(""));
            });
    AlertBoard alerts =
        new AlertBoard(backend.log(), config.alerts().stream(), context.clock()).catchUp();
    InboxMonitor monitor =
        new InboxMonitor(
            backend.inboxes(),
            config.inboxes(),
            alerts,
            context.clock(),
            config.alerts().checkEvery());
    ReviewsMetrics metrics =
        new ReviewsMetrics(
            config.inboxes(),
            backend.inboxes(),
            () -> alerts.active().size(),
            monitor::lastCheckNanos);
    RouteEngine router =
        new RouteEngine(
            backend.log(),
            directories,
            config.routes(),
            context.clock(),
            context.consumer(),
            BATCH,
            LEASE,
            context.failures(),
            alerting(metrics, alerts));
    InboxEngine inboxes =
        new InboxEngine(
            backend.log(),
            backend.inboxes(),
            config.inboxes(),
            context.clock(),
            context.consumer(),
            BATCH,
            LEASE,
            context.failures(),
            metrics);
    context.run(alerts, Duration.ofMillis(200));
    AgentRunner routeRunner = context.run(router, context.logIdle());
    AgentRunner inboxRunner = context.run(inboxes, context.logIdle());
    AgentRunner monitorRunner = context.run(monitor, Duration.ofMillis(100));
    return new RunningJob() {
      @Override
      public void wake() {
        routeRunner.wake();
        inboxRunner.wake();
      }

      @Override
      public void routes(HttpRouting.Builder routing, StreamRoutes streams) {
        routing
            .register(
                "/api/directories",
                new DirectoryRoutes(directories, context.config().server().maxBodyBytes()))
            .register(
                "/api/inboxes",
                new InboxRoutes(
                    config.inboxes(),
                    backend.inboxes(),
                    context.clock(),
                    // a pull or clean may end a stale inbox: the monitor resolves its alert now
                    () -> {
                      monitor.checkSoon();
                      monitorRunner.wake();
                    }))
            .register("/api/alerts", new AlertRoutes(alerts, backend.log()));
      }

      @Override
      public void describe(ObjectNode about) {
        about.set(
            "routes",
            Json.MAPPER.valueToTree(config.routes().stream().map(RouteRule::name).toList()));
        about.set(
            "inboxes",
            Json.MAPPER.valueToTree(config.inboxes().stream().map(InboxRule::name).toList()));
        about.set("directories", Json.MAPPER.valueToTree(config.directories().keySet()));
      }

      @Override
      public void writeTo(MetricsText out) {
        metrics.writeTo(out);
      }
    };
  }

  /** Counts what routes do, and raises an alert for each event a route cannot route. */
  private static RouteListener alerting(ReviewsMetrics metrics, AlertBoard alerts) {
    return new RouteListener() {
      @Override
      public void onRouted(RouteRule rule, int count, int deliveries) {
        metrics.onRouted(rule, count, deliveries);
      }

      @Override
      public void onInvalid(RouteRule rule, Event event, String reason, String invalidId) {
        metrics.onInvalid(rule, event, reason, invalidId);
        alerts.raise(
            Alert.INVALID_EVENT,
            rule.invalid() + "/" + invalidId,
            "event "
                + event.stream()
                + "/"
                + event.id()
                + " cannot be routed by '"
                + rule.name()
                + "': "
                + reason);
      }
    };
  }
}
