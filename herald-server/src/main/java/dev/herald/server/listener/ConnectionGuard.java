package dev.herald.server.listener;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The listener's only connection selector, so every accepted connection passes it before a byte is
 * read: it counts the open connections, refuses those past the limit with a {@code 503} that says
 * why (instead of leaving them unanswered in the kernel's queue), and hands the others to Helidon's
 * HTTP/1.1 connection, watched by the {@link HeadDeadlines}. Being the only selector also makes
 * Helidon register each connection at once, so its idle timeout closes connections that never send
 * anything.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class ConnectionGuard implements ServerConnectionSelector, AutoCloseable {

  private final Http1ConnectionSelector http1;
  private final int maxConnections;
  private final HeadDeadlines deadlines;
  private final AtomicInteger open = new AtomicInteger();
  private final LongAdder refused = new LongAdder();

  ConnectionGuard(int maxConnections, Duration headerTimeout, Http1Upgrader upgrader) {
    this.maxConnections = maxConnections;
    this.deadlines = new HeadDeadlines(headerTimeout);
    this.http1 =
        Http1ConnectionSelector.builder()
            .config(Http1Config.builder().addReceiveListener(deadlines).build())
            .addUpgrader(upgrader)
            .build();
  }

  @Override
  public int bytesToIdentifyConnection() {
    return 0;
  }

  @Override
  public Support supports(BufferData data) {
    return Support.SUPPORTED;
  }

  @Override
  public Set<String> supportedApplicationProtocols() {
    return http1.supportedApplicationProtocols();
  }

  @Override
  public ServerConnection connection(ConnectionContext ctx) {
    GuardedContext guarded = new GuardedContext(ctx);
    if (open.incrementAndGet() > maxConnections) {
      refused.increment();
      deadlines.watch(guarded);
      return new Refused(guarded);
    }
    return new Guarded(http1.connection(guarded), guarded);
  }

  /** How many connections are open now, refused ones included. */
  int open() {
    return open.get();
  }

  long refused() {
    return refused.sum();
  }

  long headerTimeouts() {
    return deadlines.timedOut();
  }

  @Override
  public void close() {
    deadlines.close();
  }

  /** Helidon's HTTP/1.1 connection, counted while it runs. */
  private final class Guarded extends ForwardingServerConnection {
    private final GuardedContext ctx;

    Guarded(ServerConnection delegate, GuardedContext ctx) {
      super(delegate);
      this.ctx = ctx;
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
      try {
        super.handle(limit);
      } finally {
        deadlines.done(ctx);
        open.decrementAndGet();
      }
    }
  }

  /**
   * A connection past the limit: its request head is read (so that closing does not reset the
   * connection before the client reads the answer), then it is answered 503 and closed.
   */
  private final class Refused implements ServerConnection {
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final GuardedContext ctx;
    private final Instant since = Instant.now();

    Refused(GuardedContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void handle(Limit limit) {
      try {
        skipHead(ctx.dataReader());
        ctx.end(
            ProblemDocument.rawClosing(
                503,
                "too-many-connections",
                "Herald serves at most "
                    + maxConnections
                    + " connections at once (server.maxConnections) and all are in use; retry shortly"));
      } catch (RuntimeException e) {
        ctx.serverSocket().close(); // the client left, or the deadline closed the socket
      } finally {
        deadlines.done(ctx);
        open.decrementAndGet();
      }
    }

    private static void skipHead(DataReader reader) {
      int left = MAX_HEAD_BYTES;
      while (left > 2) {
        int line = reader.findNewLine(left);
        if (line >= left) {
          return; // a head this long is not a request worth reading to its end
        }
        reader.skip(line + 2);
        left -= line + 2;
        if (line == 0) {
          return;
        }
      }
    }

    @Override
    public Duration idleTime() {
      return Duration.between(since, Instant.now());
    }

    @Override
    public void close(boolean interrupt) {
      ctx.serverSocket().close();
    }
  }
}
