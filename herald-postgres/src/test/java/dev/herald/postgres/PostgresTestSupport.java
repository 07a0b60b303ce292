package dev.herald.postgres;

import dev.herald.store.Backend;
import dev.herald.testing.ExternalService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.Map;
import java.util.UUID;

/**
 * Where the PostgreSQL tests run: {@link ExternalService#POSTGRES} ({@code
 * HERALD_TEST_POSTGRES_URL}, else postgresql://postgres@127.0.0.1:5432/test; with {@code CI=true} a
 * missing PostgreSQL fails the tests, elsewhere they are skipped with a reason), each test in a
 * schema of its own that it drops at the end.
 */
public final class PostgresTestSupport {

  public static final String URL = ExternalService.POSTGRES.url();

  private PostgresTestSupport() {}

  /** A schema name no other test uses, once PostgreSQL answers. */
  public static String freshSchema() {
    ExternalService.POSTGRES.require();
    return "herald_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  /** The test database's URL read for {@code schema}. */
  public static PostgresUrl url(String schema) {
    return PostgresUrl.parse(URL, schema, Map.of());
  }

  /** A backend on the test database in {@code schema}. */
  public static Backend open(String schema, InstantSource clock) {
    return new PostgresBackend(url(schema), clock);
  }

  /** A plain connection to the test database, outside Herald's pool (autocommit on). */
  public static Connection connect() throws SQLException {
    PostgresUrl url = url(PostgresUrl.DEFAULT_SCHEMA);
    return DriverManager.getConnection(
        url.jdbcUrl(), url.user().orElse(null), url.password().orElse(null));
  }

  /** Drops the schema and everything in it. */
  public static void drop(String schema) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute("DROP SCHEMA IF EXISTS " + PostgresUrl.requireSchema(schema) + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("could not drop test schema " + schema, e);
    }
  }
}
