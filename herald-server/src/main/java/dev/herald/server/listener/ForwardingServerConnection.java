package dev.herald.server.listener;

import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.spi.ServerConnection;
import java.time.Duration;
import java.util.Objects;

/**
 * A connection that forwards everything to Helidon's, for subclasses that act around its {@code
 * handle}.
 */
public abstract class ForwardingServerConnection implements ServerConnection {

  private final ServerConnection connection;

  protected ForwardingServerConnection(ServerConnection connection) {
    this.connection = Objects.requireNonNull(connection, "connection");
  }

  @Override
  public void handle(Limit limit) throws InterruptedException {
    connection.handle(limit);
  }

  @Override
  public Duration idleTime() {
    return connection.idleTime();
  }

  @Override
  public void close(boolean interrupt) {
    connection.close(interrupt);
  }
}
