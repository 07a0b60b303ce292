package dev.herald.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * Creates Herald's tables in a SQLite file ({@code schema-sqlite.sql}) and upgrades a file of an
 * earlier schema version in one transaction when it is opened.
 */
final class SqliteSchema {

  /** Bumped whenever the schema changes incompatibly; a file of another version is refused. */
  static final int VERSION = 5;

  private SqliteSchema() {}

  static void apply(Connection connection) throws SQLException {
    String schema;
    try (InputStream in = SqliteSchema.class.getResourceAsStream("schema-sqlite.sql")) {
      schema =
          new String(
              Objects.requireNonNull(in, "schema-sqlite.sql").readAllBytes(),
              StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Statement statement = connection.createStatement()) {
      int version;
      try (ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
        rs.next();
        version = rs.getInt(1);
      }
      boolean fresh;
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT COUNT(*) FROM sqlite_master WHERE name = 'herald_event'")) {
        rs.next();
        fresh = rs.getInt(1) == 0;
      }
      if (!fresh && (version < 1 || version > VERSION)) {
        throw new SQLException(
            "the file has schema version "
                + version
                + " but this Herald needs "
                + VERSION
                + "; move the data folder aside to start afresh");
      }
      connection.setAutoCommit(false);
      try {
        if (!fresh && version < 3) {
          addWakeColumn(connection); // before the schema script indexes it
        }
        if (!fresh) {
          // columns added in schema 5, before the schema script indexes them
          addColumnIfMissing(connection, "inbox_entry", "pull_id", "TEXT");
        }
        boolean inboxItems = !fresh && version < 4 && renameInboxTablesOfSchema3(connection);
        String withoutComments =
            schema
                .lines()
                .filter(line -> !line.strip().startsWith("--"))
                .collect(java.util.stream.Collectors.joining("\n"));
        for (String sql : withoutComments.split(";")) {
          if (!sql.isBlank()) {
            statement.execute(sql);
          }
        }
        if (!fresh && version == 1) {
          migrateSeenToTakenRuns(connection);
        }
        if (inboxItems) {
          copyInboxTablesOfSchema3(connection);
        }
        statement.execute("PRAGMA user_version = " + VERSION);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  /**
   * Adds a column to an existing table that lacks it; a table not there yet is the schema script's
   * to create.
   */
  private static void addColumnIfMissing(
      Connection connection, String table, String column, String definition) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      boolean hasTable = false;
      try (ResultSet rs = statement.executeQuery("PRAGMA table_info(" + table + ")")) {
        while (rs.next()) {
          if (rs.getString("name").equals(column)) {
            return;
          }
          hasTable = true;
        }
      }
      if (hasTable) {
        statement.execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition);
      }
    }
  }

  /** Schema 2 to 3: the closer's index moves from {@code due_ms} to {@code wake_ms}. */
  private static void addWakeColumn(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      boolean hasTable = false;
      try (ResultSet rs = statement.executeQuery("PRAGMA table_info(digest_bucket)")) {
        while (rs.next()) {
          if (rs.getString("name").equals("wake_ms")) {
            return;
          }
          hasTable = true;
        }
      }
      if (!hasTable) {
        return; // the schema script creates it whole
      }
      statement.execute("ALTER TABLE digest_bucket ADD COLUMN wake_ms INTEGER NOT NULL DEFAULT 0");
      statement.execute("UPDATE digest_bucket SET wake_ms = due_ms");
    }
  }

  /**
   * Schema 3 to 4, first step: moves the inbox tables of schema 3 aside (and drops the index whose
   * name the new table's index takes), so that the schema script creates the new ones.
   *
   * @return whether there were schema 3 inbox tables to copy
   */
  private static boolean renameInboxTablesOfSchema3(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'inbox_item'")) {
        rs.next();
        if (rs.getInt(1) == 0) {
          return false;
        }
      }
      statement.execute("DROP INDEX IF EXISTS inbox_oldest");
      statement.execute("ALTER TABLE inbox RENAME TO inbox_schema3");
      statement.execute("ALTER TABLE inbox_item RENAME TO inbox_item_schema3");
      return true;
    }
  }

  /**
   * Schema 3 to 4, second step: each pending item becomes one entry (its change count and times
   * kept), each inbox row keeps its oldest-pending and pull times; the running totals, now counted
   * in memory, go.
   */
  private static void copyInboxTablesOfSchema3(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "INSERT INTO inbox (name, recipient, oldest_ms, last_pulled_ms) "
              + "SELECT name, recipient, oldest_ms, last_pulled_ms FROM inbox_schema3");
      statement.execute(
          "INSERT INTO inbox_entry (name, recipient, item_key, changes, first_ms, last_ms, data) "
              + "SELECT name, recipient, item_key, change_count, first_ms, last_ms, data FROM inbox_item_schema3 ORDER BY name, recipient, first_ms, item_key");
      statement.execute("DROP TABLE inbox_schema3");
      statement.execute("DROP TABLE inbox_item_schema3");
      statement.execute("DROP TABLE IF EXISTS inbox_total");
    }
  }

  /**
   * Schema 1 to 2: {@code digest_seen} (a row per event a rule took) becomes {@code digest_taken}
   * (a row per run of consecutive ids).
   */
  private static void migrateSeenToTakenRuns(Connection connection) throws SQLException {
    try (Statement select = connection.createStatement();
        ResultSet rs =
            select.executeQuery(
                "SELECT rule, CAST(event_id AS INTEGER) AS id FROM digest_seen ORDER BY rule, id");
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO digest_taken (rule, first_id, last_id) VALUES (?, ?, ?)")) {
      String rule = null;
      long first = 0;
      long last = 0;
      while (rs.next()) {
        String nextRule = rs.getString(1);
        long id = rs.getLong(2);
        if (nextRule.equals(rule) && id <= last + 1) {
          last = Math.max(last, id);
          continue;
        }
        if (rule != null) {
          insertRun(insert, rule, first, last);
        }
        rule = nextRule;
        first = id;
        last = id;
      }
      if (rule != null) {
        insertRun(insert, rule, first, last);
      }
    }
    try (Statement drop = connection.createStatement()) {
      drop.execute("DROP TABLE digest_seen");
    }
  }

  private static void insertRun(PreparedStatement insert, String rule, long first, long last)
      throws SQLException {
    insert.setString(1, rule);
    insert.setLong(2, first);
    insert.setLong(3, last);
    insert.executeUpdate();
  }
}
