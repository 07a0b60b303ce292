package dev.herald.server.listener;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's context with what the guard keeps per connection: since when it has been waiting
 * for the rest of a request's head.
 *
 * <p>Thread-safety: the connection's thread marks the head; the deadline thread reads the mark and
 * may end the connection.
 */
final class GuardedContext extends ForwardingConnectionContext {

  private static final Logger LOG = LoggerFactory.getLogger(GuardedContext.class);

  /** When the request line of the request being read arrived; 0 while no head is being read. */
  private volatile long headSince;

  GuardedContext(ConnectionContext ctx) {
    super(ctx);
  }

  void headStarted() {
    long now = System.nanoTime();
    headSince = now == 0 ? 1 : now;
  }

  void headDone() {
    headSince = 0;
  }

  boolean headOverdue(long now, long timeoutNanos) {
    long since = headSince;
    return since != 0 && now - since > timeoutNanos;
  }

  /** Answers with {@code answer} (a whole HTTP response) and closes the socket under the reader. */
  void end(byte[] answer) {
    try {
      dataWriter().writeNow(BufferData.create(answer));
    } catch (RuntimeException e) {
      LOG.debug("could not answer a connection before closing it: {}", e.toString());
    }
    serverSocket().close();
  }
}
