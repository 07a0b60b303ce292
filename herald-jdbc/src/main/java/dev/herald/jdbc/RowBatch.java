package dev.herald.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Rows added to a prepared statement's batch, executed every {@link #CHUNK} rows.
 *
 * <p>Why chunks: sqlite-jdbc keeps a statement's batch array at the largest size it ever reached
 * and nulls all of it on every {@code executeBatch}. Statements are cached per connection, so once
 * a digest batch of 50,000 events had gone through one, every later batch, however small, paid for
 * clearing half a million slots (measured: 14% of the writer thread's samples in the digest
 * benchmark). Executing every few hundred rows keeps the array small; the rows still commit
 * together.
 *
 * <p>Thread ownership: used by the thread that owns the statement's connection.
 */
public final class RowBatch {

  public static final int CHUNK = 256;

  private final PreparedStatement statement;
  private int pending;
  private final List<int[]> chunks = new ArrayList<>();

  public RowBatch(PreparedStatement statement) {
    this.statement = Objects.requireNonNull(statement, "statement");
  }

  /** Adds the row whose parameters were just set. */
  public void add() throws SQLException {
    statement.addBatch();
    if (++pending == CHUNK) {
      execute();
    }
  }

  /** Executes what is pending; returns the update count of every row added, in order. */
  public int[] finish() throws SQLException {
    if (pending > 0) {
      execute();
    }
    return chunks.stream().flatMapToInt(Arrays::stream).toArray();
  }

  private void execute() throws SQLException {
    chunks.add(statement.executeBatch());
    pending = 0;
  }
}
