package dev.herald.server.listener;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Ends connections whose request head (the request line, then the headers) takes longer than the
 * header timeout: a client that trickles headers a byte at a time would otherwise hold its
 * connection, and enough of them every connection. Idle connections, waiting for their first or
 * next request line, are Helidon's idle timeout's to close.
 *
 * <p>It learns of each head from Helidon's receive events: the request line starts the clock, the
 * end of the headers stops it. A thread of its own checks the heads being read.
 *
 * <p>Thread-safety: the events come from connection threads, the checks run on its own thread.
 */
final class HeadDeadlines implements Http1ConnectionListener, AutoCloseable {

  private final long timeoutNanos;
  private final Duration timeout;
  private final Set<GuardedContext> reading = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer;
  private final LongAdder timedOut = new LongAdder();
  private final RequestFraming framing = new RequestFraming();

  HeadDeadlines(Duration timeout) {
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("herald-http-deadlines").daemon(true).factory());
    long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
    timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
    if (ctx instanceof GuardedContext guarded) {
      watch(guarded);
    }
  }

  @Override
  public void headers(ConnectionContext ctx, Headers headers) {
    if (ctx instanceof GuardedContext guarded) {
      guarded.headDone();
      reading.remove(guarded);
    }
    framing.check(headers);
  }

  /** Starts the clock of a head now (also for a connection that will be refused). */
  void watch(GuardedContext guarded) {
    guarded.headStarted();
    reading.add(guarded);
  }

  void done(GuardedContext guarded) {
    guarded.headDone();
    reading.remove(guarded);
  }

  /** How many connections were ended for a slow head. */
  long timedOut() {
    return timedOut.sum();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (GuardedContext guarded : reading) {
      if (guarded.headOverdue(now, timeoutNanos) && reading.remove(guarded)) {
        timedOut.increment();
        guarded.end(
            ProblemDocument.rawClosing(
                408,
                "header-timeout",
                "the request's headers did not arrive within "
                    + timeout
                    + " (server.headerTimeout); send the whole request head at once"));
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
