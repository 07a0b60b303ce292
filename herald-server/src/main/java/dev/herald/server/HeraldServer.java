package dev.herald.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestRule;
import dev.herald.jdbc.SqliteBackend;
import dev.herald.json.Json;
import dev.herald.notify.NotificationDispatcher;
import dev.herald.notify.Sink;
import dev.herald.redis.RedisBackend;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.http.DigestRoutes;
import dev.herald.server.http.NotificationRoutes;
import dev.herald.server.http.OpsRoutes;
import dev.herald.server.http.ProblemException;
import dev.herald.server.http.ProblemResponses;
import dev.herald.server.http.StreamRoutes;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.store.Backend;
import io.helidon.webserver.WebServer;
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
 * The composition root: configuration → backend → engines → HTTP, in one readable place.
 * Closing it stops accepting requests, lets the engines finish their current work, then closes
 * the store, in reverse order of opening.
 */
public final class HeraldServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);

  private final List<AutoCloseable> opened = new ArrayList<>();
  private final WebServer web;
  private final Backend backend;

  private HeraldServer(HeraldConfig config, InstantSource clock) {
    backend = track(openBackend(config, clock));
    HeraldMetrics metrics = new HeraldMetrics(config.digests(), backend.digests());

    DigestEngine engine = new DigestEngine(backend.log(), backend.digests(), config.digests(), clock,
        DigestEngine.Options.defaults(consumerName()), metrics);
    Map<String, List<Sink>> sinks = new LinkedHashMap<>();
    config.digests().forEach(rule -> sinks.put(rule.name(), rule.deliver()));
    NotificationDispatcher dispatcher = new NotificationDispatcher(backend.notifications(), backend.log(), sinks,
        config.retry(), HeraldConfig.FAILED_STREAM, clock, metrics);

    AgentRunner engineRunner = track(new AgentRunner(engine, Duration.ofMillis(10)).start());
    AgentRunner dispatcherRunner = track(new AgentRunner(dispatcher, Duration.ofMillis(20)).start());
    track(new AgentRunner(new StreamRetention(backend.log(), List.copyOf(config.streams().values()), clock), Duration.ofSeconds(1)).start());

    web = WebServer.builder()
        .host(config.server().host())
        .port(config.server().port())
        .routing(routing -> {
          ProblemResponses.register(routing);
          routing.register("/api/streams", new StreamRoutes(config, backend.log(), metrics, engineRunner::wake))
              .register("/api/digests", new DigestRoutes(engine, backend.digests(), dispatcherRunner::wake))
              .register("/api/notifications", new NotificationRoutes(backend.notifications()))
              .register(new OpsRoutes(backend, metrics))
              .get("/", (req, res) -> {
                ObjectNode about = Json.object();
                about.put("name", "Herald");
                about.put("store", backend.describe());
                about.set("streams", Json.MAPPER.valueToTree(config.streams().keySet()));
                about.set("digests", Json.MAPPER.valueToTree(config.digests().stream().map(DigestRule::name).toList()));
                res.header("Content-Type", "application/json");
                res.send(Json.write(about));
              })
              .any((req, res) -> {
                throw ProblemException.notFound("no-route", "no route for " + req.prologue().method().text() + " " + req.path().absolute().path()
                    + "; see the README's HTTP API section");
              });
        })
        .build()
        .start();
    track(web::stop);
    LOG.info("Herald listening on http://{}:{} with store {} ({} streams, {} digest rules)",
        config.server().host(), web.port(), backend.describe(), config.streams().size(), config.digests().size());
  }

  private static Backend openBackend(HeraldConfig config, InstantSource clock) {
    if (!config.server().redis()) {
      return new SqliteBackend(config.server().data(), config.server().sync(), clock);
    }
    Map<String, Long> maxLengths = new LinkedHashMap<>();
    config.streams().values().forEach(s -> s.maxLength().ifPresent(n -> maxLengths.put(s.name(), n)));
    return new RedisBackend(config.server().store(), config.server().storePrefix(), clock,
        config.digests().stream().map(DigestRule::name).toList(), maxLengths);
  }

  /** Opens the store, starts the engines and the HTTP server. */
  public static HeraldServer start(HeraldConfig config, InstantSource clock) {
    return new HeraldServer(config, clock);
  }

  private <T extends AutoCloseable> T track(T resource) {
    opened.add(resource);
    return resource;
  }

  private static String consumerName() {
    return "herald-" + ManagementFactory.getRuntimeMXBean().getName();
  }

  public int port() {
    return web.port();
  }

  public Backend backend() {
    return backend;
  }

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
