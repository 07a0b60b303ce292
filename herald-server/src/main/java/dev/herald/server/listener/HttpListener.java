package dev.herald.server.listener;

import dev.herald.server.config.HttpSettings;
import io.helidon.http.DirectHandler.EventType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald's HTTP listener: Helidon's web server behind a {@link ConnectionGuard}, with the limits of
 * {@link HttpSettings}, and a watchdog that starts it again if it stops listening.
 *
 * <p>Why a watchdog: when accepting a connection fails (the process ran out of file descriptors,
 * {@code EMFILE}), Helidon's accept loop ends and never listens again while the process lives on.
 * The guard's limit is chosen so that connections alone cannot use up the descriptors, but
 * something else may; so every {@link #PROBE_EVERY} the watchdog connects to its own port, and when
 * that is refused twice in a row it stops the dead server and starts a new one on the same port,
 * again and again until it listens.
 *
 * <p>Thread-safety: {@link #listening()} and the metrics may be called from any thread.
 */
public final class HttpListener implements AutoCloseable {

  static final Duration PROBE_EVERY = Duration.ofSeconds(2);

  /** Connections that may be open at once only to be refused, beyond {@code maxConnections}. */
  static final int REFUSAL_SLOTS = 256;

  /** File descriptors kept for the store, the jars, outgoing webhooks and the JVM itself. */
  static final int RESERVED_DESCRIPTORS = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(HttpListener.class);

  private final String host;
  private final HttpSettings settings;
  private final Consumer<HttpRouting.Builder> routing;
  private final WsRouting.Builder wsRouting;
  private final ConnectionGuard guard;
  private final int maxConnections;
  private final ScheduledExecutorService watchdog;
  private final AtomicLong restarts = new AtomicLong();
  private volatile WebServer web;
  private volatile int port;
  private volatile boolean listening = true;
  private int refusedProbes;
  private long lastRestartLog;

  private HttpListener(
      String host,
      int port,
      HttpSettings settings,
      Consumer<HttpRouting.Builder> routing,
      WsRouting.Builder wsRouting) {
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.settings = Objects.requireNonNull(settings, "settings");
    this.routing = Objects.requireNonNull(routing, "routing");
    this.wsRouting = Objects.requireNonNull(wsRouting, "wsRouting");
    this.maxConnections = maxConnections(settings);
    this.guard =
        new ConnectionGuard(
            maxConnections,
            settings.headerTimeout(),
            CoalescingWsUpgrader.create(new OriginPolicy(settings.allowedOrigins())));
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("herald-http-watchdog").daemon(true).factory());
  }

  /**
   * Starts listening on {@code host:port} (0 for a free port).
   *
   * @throws ListenerException when the address cannot be bound; nothing is left running
   */
  public static HttpListener start(
      String host,
      int port,
      HttpSettings settings,
      Consumer<HttpRouting.Builder> routing,
      WsRouting.Builder wsRouting) {
    HttpListener listener = new HttpListener(host, port, settings, routing, wsRouting);
    WebServer web = listener.build();
    web.start();
    if (!web.isRunning()) {
      listener.guard.close();
      listener.watchdog.shutdownNow();
      throw new ListenerException(unbindable(host, port, ""));
    }
    listener.web = web;
    listener.port = web.port();
    long every = PROBE_EVERY.toMillis();
    listener.watchdog.scheduleWithFixedDelay(listener::probe, every, every, TimeUnit.MILLISECONDS);
    return listener;
  }

  /**
   * Fails at once, before anything else starts, when {@code host:port} is taken.
   *
   * @param situation a sentence on who may hold it, for the message (e.g. the data folder's lock)
   * @throws ListenerException naming the address and the situation
   */
  public static void requireBindable(String host, int port, String situation) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (BindException e) {
      throw new ListenerException(unbindable(host, port, situation));
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      throw new ListenerException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
    }
  }

  private static String unbindable(String host, int port, String situation) {
    return "cannot listen on "
        + host
        + ":"
        + port
        + ": the address is already in use"
        + (situation.isEmpty() ? "" : "; " + situation)
        + " (choose another port with --port or HERALD_PORT)";
  }

  private WebServer build() {
    DirectHandlers.Builder direct = DirectHandlers.builder();
    ProblemDirectHandler problems = new ProblemDirectHandler();
    for (EventType type : EventType.values()) {
      direct.addHandler(type, problems);
    }
    Duration idle = settings.idleTimeout();
    WebServerConfig.Builder builder =
        WebServer.builder()
            .host(host)
            .port(port)
            // live subscribers get small frames: without TCP_NODELAY, Nagle's algorithm holds them
            // back waiting for the previous frame's ACK
            .connectionOptions(socket -> socket.tcpNoDelay(true))
            // the buffer of a streamed response (SSE) is allocated whole for each connection; live
            // frames are written whole and flushed, and larger writes bypass the buffer, so 4 KiB
            // (the default) would only cost idle subscribers memory
            .writeBufferSize(512)
            // the guard is the only selector (none discovered), so it sees every connection first;
            // WebSocket connections look their settings up among the protocols
            .protocolsDiscoverServices(false)
            .addProtocol(WsConfig.create())
            .addConnectionSelector(guard)
            // the guard refuses past maxConnections; this hard cap only bounds the descriptors used
            .maxTcpConnections(maxConnections + REFUSAL_SLOTS)
            .idleConnectionTimeout(idle)
            .idleConnectionPeriod(
                Duration.ofMillis(Math.max(100, Math.min(5000, idle.toMillis() / 4))))
            .directHandlers(direct.build())
            // hand the messages Helidon deems safe (and Herald's own) to the direct handler
            .errorHandling(errors -> errors.includeEntity(true))
            .routing(routing)
            .addRouting(wsRouting);
    return builder.build();
  }

  /** The port it listens on. */
  public int port() {
    return port;
  }

  /** Whether its own connections are accepted, as last probed. */
  public boolean listening() {
    return listening;
  }

  /** The most connections served at once. */
  public int maxConnections() {
    return maxConnections;
  }

  public int openConnections() {
    return guard.open();
  }

  public long refusedConnections() {
    return guard.refused();
  }

  public long headerTimeouts() {
    return guard.headerTimeouts();
  }

  public long restarts() {
    return restarts.get();
  }

  private void probe() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(probeHost(), port), 1000);
      refusedProbes = 0;
      listening = true;
    } catch (ConnectException e) {
      // refused: nothing listens
      if (++refusedProbes >= 2) {
        listening = false;
        restart();
      }
    } catch (SocketTimeoutException e) {
      refusedProbes =
          0; // saturated, not dead: every connection slot is taken and the queue is full
    } catch (IOException | RuntimeException e) {
      // the probe itself could not open a socket (descriptors used up): try again next round
      LOG.debug("HTTP listener probe failed: {}", e.toString());
    }
  }

  private String probeHost() {
    return host.equals("0.0.0.0") || host.equals("::") || host.isEmpty() ? "127.0.0.1" : host;
  }

  private void restart() {
    long now = System.nanoTime();
    boolean log = restarts.get() == 0 || now - lastRestartLog > TimeUnit.SECONDS.toNanos(30);
    if (log) {
      LOG.error(
          "the HTTP listener on {}:{} stopped accepting connections; starting it again",
          host,
          port);
      lastRestartLog = now;
    }
    try {
      web.stop();
    } catch (RuntimeException e) {
      LOG.debug("stopping the dead listener failed: {}", e.toString());
    }
    WebServer next;
    try {
      next = build();
      next.start();
    } catch (RuntimeException e) {
      LOG.debug("starting the listener again failed: {}", e.toString());
      return;
    }
    if (next.isRunning()) {
      web = next;
      restarts.incrementAndGet();
      refusedProbes = 0;
      listening = true;
      LOG.warn("the HTTP listener on {}:{} listens again", host, port);
    } else if (log) {
      LOG.error(
          "the HTTP listener on {}:{} could not be started again; retrying every {} s",
          host,
          port,
          PROBE_EVERY.toSeconds());
    }
  }

  /**
   * The configured limit, or the default lowered to what the process's open-file limit leaves for
   * connections; a configured limit above that is kept, with a warning.
   */
  private static int maxConnections(HttpSettings settings) {
    long descriptors = maxFileDescriptors();
    long room =
        descriptors <= 0 ? Long.MAX_VALUE : descriptors - RESERVED_DESCRIPTORS - REFUSAL_SLOTS;
    if (settings.maxConnections().isPresent()) {
      int configured = settings.maxConnections().getAsInt();
      if (configured > room) {
        LOG.warn(
            "server.maxConnections {} is more than the open-file limit {} leaves for connections ({}): past that, accepting "
                + "connections fails; raise the limit (ulimit -n) or lower maxConnections",
            configured,
            descriptors,
            Math.max(0, room));
      }
      return configured;
    }
    if (room >= HttpSettings.DEFAULT_MAX_CONNECTIONS) {
      return HttpSettings.DEFAULT_MAX_CONNECTIONS;
    }
    int fitted = (int) Math.max(16, room >= 64 ? room : descriptors / 4);
    LOG.info(
        "serving at most {} connections at once: what the open-file limit {} leaves (ulimit -n; server.maxConnections)",
        fitted,
        descriptors);
    return fitted;
  }

  private static long maxFileDescriptors() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /**
   * Stops the watchdog, then the web server (open requests get its grace period), then the guard.
   */
  @Override
  public void close() {
    watchdog.shutdownNow();
    try {
      watchdog.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    WebServer current = web;
    if (current != null) {
      current.stop();
    }
    guard.close();
  }
}
