package dev.herald.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.herald.log.StoreTimeoutException;
import dev.herald.log.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;

/**
 * One PostgreSQL database through a HikariCP pool, with Herald's tables in one schema, migrated by
 * Flyway when opened. Every unit of work is one transaction on a connection of the pool.
 *
 * <p>Errors: a connection that cannot be had or is lost is a {@link StoreUnavailableException} (one
 * lost while committing a {@link StoreTimeoutException}, since the commit may have happened); a
 * serialization failure or a deadlock retries the transaction; any other error PostgreSQL reports
 * is a fault of the statement, not of the database's availability, and is an {@link
 * IllegalStateException} that nobody should retry.
 *
 * <p>Thread-safety: safe for concurrent use; each call borrows its own connection.
 */
public final class PostgresDatabase implements AutoCloseable {

  /** Where the migrations are, in the order of their version numbers. */
  static final String MIGRATIONS = "classpath:db/herald-postgres";

  private static final int TRANSACTION_ATTEMPTS = 10;

  private final PostgresUrl url;
  private final HikariDataSource pool;

  private PostgresDatabase(PostgresUrl url, HikariDataSource pool) {
    this.url = url;
    this.pool = pool;
  }

  /**
   * Connects, creates the schema if it is missing and applies the migrations it lacks.
   *
   * @throws StoreUnavailableException when the database cannot be reached, refuses the login, or
   *     holds a schema newer than this code
   */
  public static PostgresDatabase open(PostgresUrl url, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("herald-postgres");
    config.setJdbcUrl(url.jdbcUrl());
    url.user().ifPresent(config::setUsername);
    url.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setAutoCommit(false);
    // a request waits this long for a connection while the database is down, then gets a 503
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    config.addDataSourceProperty("ApplicationName", "herald");
    config.addDataSourceProperty("currentSchema", url.schema());
    config.addDataSourceProperty("connectTimeout", "5");
    config.addDataSourceProperty("tcpKeepAlive", "true");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (HikariPool.PoolInitializationException e) {
      throw new StoreUnavailableException(
          "cannot connect to PostgreSQL at " + url.describe() + ": " + rootMessage(e), e);
    }
    try {
      migrate(url, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new PostgresDatabase(url, pool);
  }

  /**
   * Applies the migrations the schema lacks. Flyway takes a PostgreSQL advisory lock for it, so
   * instances starting at once on an empty database apply each migration once; a schema that has
   * migrations this code does not know (a newer Herald wrote it) is refused, not used.
   */
  private static void migrate(PostgresUrl url, HikariDataSource pool) {
    Flyway flyway =
        Flyway.configure(PostgresDatabase.class.getClassLoader())
            .dataSource(pool)
            .schemas(url.schema())
            .defaultSchema(url.schema())
            .table("herald_schema_history")
            .locations(MIGRATIONS)
            .ignoreMigrationPatterns("")
            .cleanDisabled(true)
            .load();
    try {
      MigrationInfo[] future =
          Arrays.stream(flyway.info().applied())
              .filter(m -> m.getState() == MigrationState.FUTURE_SUCCESS)
              .toArray(MigrationInfo[]::new);
      if (future.length > 0) {
        throw new StoreUnavailableException(
            "the Herald schema in "
                + url.describe()
                + " is at version "
                + future[future.length - 1].getVersion()
                + ", newer than this Herald knows ("
                + latestKnown(flyway)
                + "): a newer Herald migrated it; run that version, or give this one another"
                + " schema",
            null);
      }
      flyway.migrate();
    } catch (FlywayException e) {
      throw new StoreUnavailableException(
          "cannot prepare the Herald schema in " + url.describe() + ": " + rootMessage(e), e);
    }
  }

  private static String latestKnown(Flyway flyway) {
    return Arrays.stream(flyway.info().all())
        .filter(m -> m.getState() != MigrationState.FUTURE_SUCCESS)
        .reduce((a, b) -> b)
        .map(m -> "version " + m.getVersion())
        .orElse("no version");
  }

  static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }

  /** Work done in one transaction on one connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction and commits it; a serialization failure or deadlock runs it
   * again from the start, so the work must have no effect outside the transaction until it returns.
   */
  public <T> T transact(Work<T> work) {
    Objects.requireNonNull(work, "work");
    for (int attempt = 1; ; attempt++) {
      Connection connection;
      try {
        connection = pool.getConnection();
      } catch (SQLException e) {
        throw unavailable(e, false);
      }
      boolean committing = false;
      try (connection) {
        T result = work.run(connection);
        committing = true;
        connection.commit();
        return result;
      } catch (SQLException e) {
        rollbackQuietly(connection);
        if (retryable(e) && attempt < TRANSACTION_ATTEMPTS) {
          backOff(attempt);
          continue;
        }
        throw translate(e, committing);
      } catch (RuntimeException | Error e) {
        rollbackQuietly(connection);
        throw e;
      }
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      if (!connection.isClosed()) {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // the connection is broken; the pool drops it and the transaction is gone with it
    }
  }

  private static void backOff(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, 1L << Math.min(attempt, 6)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while retrying a transaction", e);
    }
  }

  private static boolean retryable(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }

  private RuntimeException translate(SQLException e, boolean committing) {
    if (availability(e)) {
      return unavailable(e, committing);
    }
    return new IllegalStateException(
        "PostgreSQL refused a statement of Herald's: "
            + e.getMessage()
            + " ("
            + e.getSQLState()
            + ")",
        e);
  }

  /** Whether the error says the database cannot be used now rather than that a statement is bad. */
  private static boolean availability(SQLException e) {
    if (e instanceof SQLTransientConnectionException) {
      return true;
    }
    String state = e.getSQLState();
    if (state == null) {
      return true; // pgjdbc gives no state for I/O errors on a broken connection
    }
    return state.startsWith("08") // connection exception
        || state.startsWith("53") // insufficient resources (disk full, too many connections)
        || state.startsWith("57P") // shutdown, crash, cannot connect now
        || state.equals("57014") // query cancelled (statement timeout)
        || state.equals("25006"); // read-only transaction: a standby after failover
  }

  private StoreUnavailableException unavailable(SQLException e, boolean committing) {
    String message = "PostgreSQL at " + url.describe() + " is unavailable: " + rootMessage(e);
    return committing
        ? new StoreTimeoutException(
            message + " (while committing: the change may have been made)", e)
        : new StoreUnavailableException(message, e);
  }

  /**
   * Runs a plain {@code VACUUM} of {@code table} (outside a transaction, as it must be): the space
   * of deleted rows becomes free for new ones now, not when autovacuum next comes. It takes no lock
   * that readers or writers wait for.
   */
  public void vacuum(String table) {
    try (Connection connection = pool.getConnection()) {
      connection.setAutoCommit(true);
      try (var statement = connection.createStatement()) {
        statement.execute("VACUUM " + table);
      } finally {
        connection.setAutoCommit(false);
      }
    } catch (SQLException e) {
      throw translate(e, false);
    }
  }

  /** Payloads of notifications for appends start with this, then the log's origin and stream. */
  static final String APPENDED = "a:";

  /** Payloads of notifications for new deliveries start with this, then the store's origin. */
  static final String DELIVERIES = "d:";

  /**
   * The channel this schema's notifications travel on: one per schema, so deployments sharing the
   * database do not wake each other.
   */
  String channel() {
    String channel = "herald_" + url.schema();
    return channel.length() > 63 ? channel.substring(0, 63) : channel;
  }

  /**
   * Calls {@code listener} with the payload of every notification on {@link #channel()}, from a
   * thread of its own that holds a connection outside the pool, LISTENing; once more after each
   * reconnect (notifications sent while it was away are lost, so listeners look for themselves).
   * The first call starts the thread; closing the database stops it.
   */
  public synchronized void listen(java.util.function.Consumer<String> listener) {
    if (listening == null) {
      listening = new PostgresListener(url, channel());
      listening.start();
    }
    listening.add(listener);
  }

  private PostgresListener listening;

  /** Whether the database answers a query now. */
  public boolean ready() {
    try (Connection connection = pool.getConnection()) {
      return connection.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  public PostgresUrl url() {
    return url;
  }

  @Override
  public synchronized void close() {
    if (listening != null) {
      listening.close();
    }
    pool.close();
  }
}
