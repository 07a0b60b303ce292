package dev.herald.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.http.AlertRoutes;
import dev.herald.server.http.CoalescingWsUpgrader;
import dev.herald.server.http.DigestRoutes;
import dev.herald.server.http.DirectoryRoutes;
import dev.herald.server.http.InboxRoutes;
import dev.herald.server.http.LiveRoutes;
import dev.herald.server.http.LiveSocket;
import dev.herald.server.http.WebRoutes;
import dev.herald.server.http.NotificationRoutes;
import dev.herald.server.http.OpsRoutes;
import dev.herald.server.http.ProblemException;
import dev.herald.server.http.ProblemResponses;
import dev.herald.server.http.StreamRoutes;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.store.Backend;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.websocket.WsRouting;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: configuration → {@link HeraldEngines} (store, engines) → HTTP, in one
 * readable place.
 * Closing it stops accepting requests, lets the engines finish their current work, then closes
 * the store, in reverse order of opening.
 */
public final class HeraldServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);

  private final HeraldEngines engines;
  private final WebServer web;

  private HeraldServer(HeraldConfig config, InstantSource clock) {
    engines = new HeraldEngines(config, clock);
    Backend backend = engines.backend();
    HeraldMetrics metrics = engines.metrics();
    StreamRoutes streams = new StreamRoutes(config, backend.log(), metrics);
    web = WebServer.builder()
        .host(config.server().host())
        .port(config.server().port())
        // live subscribers get small frames: without TCP_NODELAY, Nagle's algorithm holds them
        // back waiting for the previous frame's ACK
        .connectionOptions(socket -> socket.tcpNoDelay(true))
        // the buffer of a streamed response (SSE) is allocated whole for each connection; live
        // frames are written whole and flushed, and larger writes bypass the buffer, so 4 KiB
        // (the default) would only cost idle subscribers memory
        .writeBufferSize(512)
        // listed before the selectors Helidon discovers, so HTTP/1 connections upgrade to
        // WebSocket through it: live subscribers then write a batch of frames at once
        .addConnectionSelector(Http1ConnectionSelector.builder().config(Http1Config.create())
            .addUpgrader(CoalescingWsUpgrader.create()).build())
        .routing(routing -> {
          ProblemResponses.register(routing);
          routing.register("/api/streams", new LiveRoutes(config, engines.topics()), streams)
              .register("/api/digests", new DigestRoutes(engines.engine(), backend.digests(), engines::wakeDispatcher))
              .register("/api/notifications", new NotificationRoutes(backend.notifications()))
              .register("/api/directories", new DirectoryRoutes(engines.directories(), config.server().maxBodyBytes()))
              .register("/api/inboxes", new InboxRoutes(config.inboxes(), backend.inboxes(), clock, engines::wakeMonitor))
              .register("/api/alerts", new AlertRoutes(engines.alerts(), backend.log()))
              .register(new OpsRoutes(backend, metrics))
              .register(new WebRoutes(config.live().topics()))
              .get("/api", (req, res) -> {
                ObjectNode about = Json.object();
                about.put("name", "Herald");
                about.put("store", backend.describe());
                about.set("streams", Json.MAPPER.valueToTree(config.streams().keySet()));
                about.set("digests", Json.MAPPER.valueToTree(config.digests().stream().map(DigestRule::name).toList()));
                about.set("routes", Json.MAPPER.valueToTree(config.routes().stream().map(r -> r.name()).toList()));
                about.set("inboxes", Json.MAPPER.valueToTree(config.inboxes().stream().map(i -> i.name()).toList()));
                about.set("directories", Json.MAPPER.valueToTree(config.directories().keySet()));
                res.header("Content-Type", "application/json");
                res.send(Json.write(about));
              })
              .any((req, res) -> {
                throw ProblemException.notFound("no-route", "no route for " + req.prologue().method().text() + " " + req.path().absolute().path()
                    + "; see the README's HTTP API section");
              });
        })
        .addRouting(WsRouting.builder().endpoint("/ws/streams/{stream}", () -> new LiveSocket(config, engines.topics(), streams)))
        .build();
    try {
      web.start();
    } catch (RuntimeException e) {
      engines.close();
      throw e;
    }
    LOG.info("Herald listening on http://{}:{} with store {} ({} streams, {} digest rules)",
        config.server().host(), web.port(), backend.describe(), config.streams().size(), config.digests().size());
  }

  /** Opens the store, starts the engines and the HTTP server. */
  public static HeraldServer start(HeraldConfig config, InstantSource clock) {
    return new HeraldServer(config, clock);
  }

  public int port() {
    return web.port();
  }

  public Backend backend() {
    return engines.backend();
  }

  /** Stops accepting requests, then stops the engines and closes the store. */
  @Override
  public void close() {
    web.stop();
    engines.close();
  }
}
