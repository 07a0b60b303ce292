package dev.herald.server;

import dev.herald.agent.AgentHealth;
import dev.herald.agent.AgentRunner;
import dev.herald.alert.Alert;
import dev.herald.alert.AlertBoard;
import dev.herald.alert.InboxMonitor;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestRule;
import dev.herald.inbox.InboxEngine;
import dev.herald.log.Event;
import dev.herald.notify.NotificationDispatcher;
import dev.herald.notify.Sink;
import dev.herald.process.FailurePolicy;
import dev.herald.route.Directories;
import dev.herald.route.RouteEngine;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.server.config.ConfigException;
import dev.herald.server.config.DirectoryConfig;
import dev.herald.server.config.DirectoryFiles;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.server.store.Backends;
import dev.herald.store.Backend;
import dev.herald.store.StoreSettings;
import dev.herald.topic.Topics;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background half of Herald: the store, the digest engine, the dispatcher and stream retention,
 * each on its own thread. {@code herald server} adds the HTTP API on top; {@code herald worker}
 * runs this alone. Several of them may share one Redis: consumer groups split the events and the
 * store closes each bucket once.
 */
public final class HeraldEngines implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldEngines.class);

  /** The longest pause of an idle stream-reading agent on SQLite, where local appends wake it. */
  private static final Duration LOCAL_LOG_IDLE = Duration.ofSeconds(1);

  private final List<AutoCloseable> opened = new ArrayList<>();
  private final List<AgentRunner> runners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Backend backend;
  private final HeraldMetrics metrics;
  private final DigestEngine engine;
  private final AgentRunner engineRunner;
  private final AgentRunner dispatcherRunner;
  private final Directories directories;
  private final AlertBoard alerts;
  private final InboxEngine inboxEngine;
  private final InboxMonitor monitor;
  private final AgentRunner routeRunner;
  private final AgentRunner inboxRunner;
  private final AgentRunner monitorRunner;
  private final Topics topics;
  private final AgentRunner topicsRunner;

  public HeraldEngines(HeraldConfig config, InstantSource clock) {
    backend = track(openBackend(config, clock));
    try {
      metrics = new HeraldMetrics(config.digests(), backend.digests());
      FailurePolicy failures = config.processing().withListener(metrics);
      DigestEngine.Options digestOptions = DigestEngine.Options.defaults(consumerName());
      engine =
          new DigestEngine(
              backend.log(),
              backend.digests(),
              config.digests(),
              clock,
              new DigestEngine.Options(
                  digestOptions.consumer(),
                  digestOptions.batchSize(),
                  digestOptions.lease(),
                  failures),
              metrics);
      Map<String, List<Sink>> sinks = new LinkedHashMap<>();
      config.digests().forEach(rule -> sinks.put(rule.name(), rule.deliver()));
      NotificationDispatcher dispatcher =
          new NotificationDispatcher(
              backend.notifications(),
              backend.log(),
              sinks,
              config.retry(),
              HeraldConfig.FAILED_STREAM,
              clock,
              metrics);
      // Agents that read streams are woken by every local append (onAppended below). On SQLite
      // this process is the only writer, so their polls only catch abandoned batches and can be
      // rare; other processes append to a Redis store, and only a poll finds their events.
      Duration logIdle =
          Backends.shared(config.server().logStore()) ? Duration.ofMillis(10) : LOCAL_LOG_IDLE;
      engineRunner = track(new AgentRunner(engine.ingester(), logIdle).start());
      track(new AgentRunner(engine.closer(), Duration.ofMillis(10)).start());
      dispatcherRunner = track(new AgentRunner(dispatcher, Duration.ofMillis(20)).start());
      directories =
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
      alerts = new AlertBoard(backend.log(), config.alerts().stream(), clock).catchUp();
      RouteListener routeListener =
          new RouteListener() {
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
      RouteEngine router =
          new RouteEngine(
              backend.log(),
              directories,
              config.routes(),
              clock,
              consumerName(),
              10_000,
              Duration.ofSeconds(30),
              failures,
              routeListener);
      inboxEngine =
          new InboxEngine(
              backend.log(),
              backend.inboxes(),
              config.inboxes(),
              clock,
              consumerName(),
              10_000,
              Duration.ofSeconds(30),
              failures,
              metrics);
      monitor =
          new InboxMonitor(
              backend.inboxes(), config.inboxes(), alerts, clock, config.alerts().checkEvery());
      metrics.watchInboxes(
          config.inboxes(),
          backend.inboxes(),
          () -> alerts.active().size(),
          monitor::lastCheckNanos);
      track(new AgentRunner(alerts, Duration.ofMillis(200)).start());
      routeRunner = track(new AgentRunner(router, logIdle).start());
      inboxRunner = track(new AgentRunner(inboxEngine, logIdle).start());
      monitorRunner = track(new AgentRunner(monitor, Duration.ofMillis(100)).start());
      topics =
          new Topics(
              backend.log(),
              new Topics.Options(config.live().ringCapacity(), config.live().maxLag()));
      // local appends wake the runner (onAppended below); other processes append to a shared store
      // too,
      // so it polls every 5 ms while subscribed, and not sooner: re-polling 50 µs after each
      // batch, as other agents do, found nothing and cost the thread 1.5x its CPU (one pair of
      // runs)
      topicsRunner =
          track(new AgentRunner(topics, Duration.ofMillis(5), Duration.ofMillis(5)).start());
      metrics.watchSubscribers(topics::subscribers, topics::tooSlow);
      // woken by the log as soon as a local append commits (SQLite: on its writer thread), not
      // once the appending request thread runs again; measured with 1,000 live subscribers,
      // four alternating runs: paced p99 41-86 ms against 54-140 ms waking from the request
      backend.log().onAppended(this::wakeEngine);
      track(
          new AgentRunner(
                  new StreamRetention(backend.log(), List.copyOf(config.streams().values()), clock),
                  Duration.ofSeconds(1))
              .start());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private static Backend openBackend(HeraldConfig config, InstantSource clock) {
    Map<String, Long> maxLengths = new LinkedHashMap<>();
    config
        .streams()
        .values()
        .forEach(s -> s.maxLength().ifPresent(n -> maxLengths.put(s.name(), n)));
    StoreSettings settings =
        new StoreSettings(
            config.server().store(),
            config.server().data(),
            config.server().durability(),
            config.server().storePrefix(),
            clock,
            config.digests().stream().map(DigestRule::name).toList(),
            maxLengths);
    try {
      Backends.checkPairing(config.server().store(), config.server().log());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return Backends.open(settings, config.server().log());
  }

  private static String consumerName() {
    return "herald-" + ManagementFactory.getRuntimeMXBean().getName();
  }

  private <T extends AutoCloseable> T track(T resource) {
    opened.add(resource);
    if (resource instanceof AgentRunner runner) {
      runners.add(runner);
    }
    return resource;
  }

  /** How each background agent is doing, for readiness and metrics. */
  public List<AgentHealth> agents() {
    return runners.stream().map(AgentRunner::health).toList();
  }

  public Backend backend() {
    return backend;
  }

  public HeraldMetrics metrics() {
    return metrics;
  }

  public DigestEngine engine() {
    return engine;
  }

  public Directories directories() {
    return directories;
  }

  public AlertBoard alerts() {
    return alerts;
  }

  public InboxEngine inboxEngine() {
    return inboxEngine;
  }

  /** New events were appended: let the engines look now rather than after their idle pause. */
  private void wakeEngine() {
    engineRunner.wake();
    routeRunner.wake();
    inboxRunner.wake();
    topicsRunner.wake();
  }

  public Topics topics() {
    return topics;
  }

  /** An inbox was pulled or cleaned: let the monitor resolve its alert now. */
  public void wakeMonitor() {
    monitor.checkSoon();
    monitorRunner.wake();
  }

  /** A notification was written outside the engine (flush): let the dispatcher look now. */
  public void wakeDispatcher() {
    dispatcherRunner.wake();
  }

  /** Stops the engines after their current work, then closes the store. */
  @Override
  public void close() {
    List<AutoCloseable> reverse = new ArrayList<>(opened);
    Collections.reverse(reverse);
    for (AutoCloseable resource : reverse) {
      try {
        resource.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", resource, e);
      }
    }
    opened.clear();
  }
}
