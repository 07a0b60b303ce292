package dev.herald.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.agent.AgentHealth;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.http.AlertRoutes;
import dev.herald.server.http.DigestRoutes;
import dev.herald.server.http.DirectoryRoutes;
import dev.herald.server.http.InboxRoutes;
import dev.herald.server.http.LiveRoutes;
import dev.herald.server.http.LiveSocket;
import dev.herald.server.http.NotificationRoutes;
import dev.herald.server.http.OpsRoutes;
import dev.herald.server.http.ProblemException;
import dev.herald.server.http.ProblemResponses;
import dev.herald.server.http.RequestGate;
import dev.herald.server.http.StreamRoutes;
import dev.herald.server.http.WebRoutes;
import dev.herald.server.listener.HttpListener;
import dev.herald.server.listener.OriginPolicy;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.server.store.Backends;
import dev.herald.sqlite.SqliteDatabase;
import dev.herald.store.Backend;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: configuration → {@link HeraldEngines} (store, engines) → HTTP, in one
 * readable place. Closing it stops accepting requests, lets the engines finish their current work,
 * then closes the store, in reverse order of opening.
 */
public final class HeraldServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);

  private final HeraldEngines engines;
  private final HttpListener listener;

  private HeraldServer(HeraldConfig config, InstantSource clock) {
    // before anything starts: a taken port must not leave a process running its engines unreachable
    HttpListener.requireBindable(
        config.server().host(), config.server().port(), lockSituation(config));
    engines = new HeraldEngines(config, clock);
    Backend backend = engines.backend();
    HeraldMetrics metrics = engines.metrics();
    StreamRoutes streams = new StreamRoutes(config, backend.log(), metrics);
    Consumer<HttpRouting.Builder> routes =
        routing -> {
          ProblemResponses.register(routing);
          routing.addFilter(
              new RequestGate(new OriginPolicy(config.server().http().allowedOrigins())));
          routing
              .register("/api/streams", new LiveRoutes(config, engines.topics()), streams)
              .register(
                  "/api/digests",
                  new DigestRoutes(engines.engine(), backend.digests(), engines::wakeDispatcher))
              .register("/api/notifications", new NotificationRoutes(backend.notifications()))
              .register(
                  "/api/directories",
                  new DirectoryRoutes(engines.directories(), config.server().maxBodyBytes()))
              .register(
                  "/api/inboxes",
                  new InboxRoutes(config.inboxes(), backend.inboxes(), clock, engines::wakeMonitor))
              .register("/api/alerts", new AlertRoutes(engines.alerts(), backend.log()))
              .register(new OpsRoutes(backend, metrics, this::listening, engines::agents))
              .register(new WebRoutes(config.live().topics()))
              .get(
                  "/api",
                  (req, res) -> {
                    ObjectNode about = Json.object();
                    about.put("name", "Herald");
                    about.put("store", backend.describe());
                    about.set("streams", Json.MAPPER.valueToTree(config.streams().keySet()));
                    about.set(
                        "digests",
                        Json.MAPPER.valueToTree(
                            config.digests().stream().map(DigestRule::name).toList()));
                    about.set(
                        "routes",
                        Json.MAPPER.valueToTree(
                            config.routes().stream().map(r -> r.name()).toList()));
                    about.set(
                        "inboxes",
                        Json.MAPPER.valueToTree(
                            config.inboxes().stream().map(i -> i.name()).toList()));
                    about.set(
                        "directories", Json.MAPPER.valueToTree(config.directories().keySet()));
                    ArrayNode agents = about.putArray("agents");
                    for (AgentHealth agent : engines.agents()) {
                      ObjectNode json = agents.addObject();
                      json.put("agent", agent.role());
                      json.put("errors", agent.failures());
                      json.put("healthy", !agent.unhealthy());
                      agent
                          .lastFailure()
                          .ifPresent(failure -> json.put("lastError", Redaction.redact(failure)));
                    }
                    res.header("Content-Type", "application/json");
                    res.send(Json.write(about));
                  })
              .any(
                  (req, res) -> {
                    throw ProblemException.notFound(
                        "no-route",
                        "no route for "
                            + req.prologue().method().text()
                            + " "
                            + req.path().absolute().path()
                            + "; see the README's HTTP API section");
                  });
        };
    WsRouting.Builder sockets =
        WsRouting.builder()
            .endpoint(
                "/ws/streams/{stream}", () -> new LiveSocket(config, engines.topics(), streams));
    try {
      listener =
          HttpListener.start(
              config.server().host(),
              config.server().port(),
              config.server().http(),
              routes,
              sockets);
    } catch (RuntimeException e) {
      engines.close();
      throw e;
    }
    metrics.watchListener(listener);
    metrics.watchAgents(engines::agents);
    LOG.info(
        "Herald listening on http://{}:{} with store {} ({} streams, {} digest rules, at most {} connections)",
        config.server().host(),
        listener.port(),
        backend.describe(),
        config.streams().size(),
        config.digests().size(),
        listener.maxConnections());
  }

  /** Who may hold the port, as far as the data folder's lock tells. */
  private static String lockSituation(HeraldConfig config) {
    if (Backends.shared(config.server().store())) {
      return "";
    }
    Path data = config.server().data().toAbsolutePath();
    return SqliteDatabase.inUse(data)
        ? "the data folder "
            + data
            + " is locked by another Herald process, probably the one on this port"
        : "no Herald process holds the data folder " + data + ", so another program has the port";
  }

  private boolean listening() {
    return listener == null || listener.listening();
  }

  /** Opens the store, starts the engines and the HTTP server. */
  public static HeraldServer start(HeraldConfig config, InstantSource clock) {
    return new HeraldServer(config, clock);
  }

  public int port() {
    return listener.port();
  }

  public Backend backend() {
    return engines.backend();
  }

  /** Stops accepting requests, then stops the engines and closes the store. */
  @Override
  public void close() {
    listener.close();
    engines.close();
  }
}
