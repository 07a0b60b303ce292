package dev.herald.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.agent.AgentHealth;
import dev.herald.json.Json;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.digests.DigestsConfig;
import dev.herald.server.http.ProblemException;
import dev.herald.server.http.ProblemResponses;
import dev.herald.server.http.RequestGate;
import dev.herald.server.listener.HttpListener;
import dev.herald.server.listener.OriginPolicy;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.server.ops.DashboardRoutes;
import dev.herald.server.ops.OpsRoutes;
import dev.herald.server.store.Backends;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.sqlite.SqliteDatabase;
import dev.herald.store.Backend;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
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
          routing.register("/api/streams", streams);
          engines.jobs().forEach(job -> job.routes(routing, streams));
          routing
              .register(new OpsRoutes(backend, metrics, this::listening, engines::agents))
              .register(new DashboardRoutes())
              .get("/api", (req, res) -> about(config, req, res))
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
    WsRouting.Builder sockets = WsRouting.builder();
    engines.jobs().forEach(job -> job.sockets(sockets, streams));
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
        config.job(DigestsConfig.class).rules().size(),
        listener.maxConnections());
  }

  /** {@code GET /api}: the store, the streams, what each job runs, and how the agents are. */
  private void about(HeraldConfig config, ServerRequest req, ServerResponse res) {
    ObjectNode about = Json.object();
    about.put("name", "Herald");
    about.put("store", engines.backend().describe());
    about.set("streams", Json.MAPPER.valueToTree(config.streams().keySet()));
    engines.jobs().forEach(job -> job.describe(about));
    ArrayNode agents = about.putArray("agents");
    for (AgentHealth agent : engines.agents()) {
      ObjectNode json = agents.addObject();
      json.put("agent", agent.role());
      json.put("errors", agent.failures());
      json.put("healthy", !agent.unhealthy());
      agent.lastFailure().ifPresent(failure -> json.put("lastError", Redaction.redact(failure)));
    }
    res.header("Content-Type", "application/json");
    res.send(Json.write(about));
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
