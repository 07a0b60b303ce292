package dev.herald.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Rows added to a prepared statement's batch, executed every {@link #CHUNK} rows.
 *
 * <p>Why chunks: sqlite-jdbc keeps a statement's batch array at the largest size it ever reached
 * and nulls all of it on every {@code executeBatch}. Statements are cached per connection, so
 * once a digest batch of 50,000 events had gone through one, every later batch, however small,
 * paid for clearing half a million slots (measured: 14% of the writer thread's samples in the
 * digest benchmark). Executing every few hundred rows keeps the array small; the rows still
 * commit together.
 *
 * <p>Thread ownership: used by the thread that owns the statement's connection.
 */
final class RowBatch {

  static final int CHUNK = 256;

  private final PreparedStatement statement;
  private int pending;
  private int[] counts = new int[0];

  RowBatch(PreparedStatement statement) {
    this.statement = Objects.requireNonNull(statement, "statement");
  }

  /** Adds the row whose parameters were just set. */
  void add() throws SQLException {
    statement.addBatch();
    if (++pending == CHUNK) {
      execute();
    }
  }

  /** Executes what is pending; returns the update count of every row added, in order. */
  int[] finish() throws SQLException {
    if (pending > 0) {
      execute();
    }
    return counts;
  }

  private void execute() throws SQLException {
    int[] chunk = statement.executeBatch();
    int[] all = Arrays.copyOf(counts, counts.length + chunk.length);
    System.arraycopy(chunk, 0, all, counts.length, chunk.length);
    counts = all;
    pending = 0;
  }
}
