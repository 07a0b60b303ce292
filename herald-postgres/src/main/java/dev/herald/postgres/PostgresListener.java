package dev.herald.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on one channel over a connection of its own and hands each notification's payload to the
 * listeners, on its thread. While the database is away it reconnects every second; after each
 * (re)connect it calls the listeners once with an empty payload, since what was sent while it was
 * away is lost.
 *
 * <p>Thread-safety: listeners may be added from any thread.
 */
final class PostgresListener implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresListener.class);

  /** How long one wait for notifications blocks, so that closing is noticed. */
  private static final int WAIT_MS = 500;

  private final PostgresUrl url;
  private final String channel;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Connection connection;

  PostgresListener(PostgresUrl url, String channel) {
    this.url = url;
    this.channel = channel;
    this.thread =
        Thread.ofPlatform().name("herald-postgres-listen").daemon(true).unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  void add(Consumer<String> listener) {
    listeners.add(listener);
  }

  private void run() {
    boolean warned = false;
    boolean reconnect = false;
    while (running) {
      try (Connection c = connect()) {
        connection = c;
        try (Statement listen = c.createStatement()) {
          listen.execute("LISTEN \"" + channel + "\"");
        }
        if (warned) {
          LOG.info("listening to PostgreSQL notifications again");
          warned = false;
        }
        if (reconnect) {
          deliver("");
        }
        reconnect = true;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] notifications = pg.getNotifications(WAIT_MS);
          if (notifications != null) {
            for (PGNotification notification : notifications) {
              deliver(notification.getParameter());
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        if (!warned) {
          LOG.warn(
              "lost the PostgreSQL notification connection ({}); readers fall back to their polls"
                  + " until it is back",
              PostgresDatabase.rootMessage(e));
          warned = true;
        }
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    url.user().ifPresent(u -> properties.setProperty("user", u));
    url.password().ifPresent(p -> properties.setProperty("password", p));
    properties.setProperty("ApplicationName", "herald-listen");
    properties.setProperty("connectTimeout", "5");
    properties.setProperty("tcpKeepAlive", "true");
    Connection c = DriverManager.getConnection(url.jdbcUrl(), properties);
    c.setAutoCommit(true);
    return c;
  }

  private void deliver(String payload) {
    for (Consumer<String> listener : listeners) {
      try {
        listener.accept(payload);
      } catch (RuntimeException e) {
        LOG.warn("a notification listener failed", e);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
