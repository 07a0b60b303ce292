package dev.herald.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Objects;

/**
 * An INSERT that takes many rows per execution: {@code head VALUES (?, ..), (?, ..), ..}.
 *
 * <p>Why: sqlite-jdbc adds a few microseconds to every execution of a statement, on top of SQLite's
 * own work (measured, appends to a two-index table: 4.3-4.7 us per row at one row per execution,
 * 2.0 us with JDBC batches, 1.5 us at 100 rows per execution). Rows go in executions of {@value
 * #MAX_ROWS}, then of the powers of two that make up the rest, so that a session caches at most
 * nine statements per insert whatever the batch sizes.
 *
 * <p>Thread ownership: like {@link SqlSession}, used by the thread that owns the session.
 */
public final class MultiRowInsert {

  public static final int MAX_ROWS = 256;

  /** Sets the parameters of one row, the first of them at {@code parameter}. */
  public interface RowBinder {
    void bind(PreparedStatement statement, int row, int parameter) throws SQLException;
  }

  private final String head;
  private final String tail;
  private final int columns;
  private final String[] sqlByPower = new String[Integer.numberOfTrailingZeros(MAX_ROWS) + 1];

  /**
   * @param head the statement up to {@code VALUES}, e.g. {@code INSERT INTO t (a, b)}
   * @param columns parameters per row
   */
  public MultiRowInsert(String head, int columns) {
    this(head, columns, "");
  }

  /**
   * @param tail what follows the rows, e.g. {@code ON CONFLICT DO NOTHING}
   */
  public MultiRowInsert(String head, int columns, String tail) {
    this.head = Objects.requireNonNull(head, "head");
    this.tail = Objects.requireNonNull(tail, "tail");
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be positive");
    }
    this.columns = columns;
  }

  /** Inserts {@code rows} rows, each bound by {@code binder}. */
  public void run(SqlSession session, int rows, RowBinder binder) throws SQLException {
    int at = 0;
    while (at < rows) {
      int count = rowsPerExecution(rows - at);
      execute(session, at, count, binder);
      at += count;
    }
  }

  /** How many of {@code remaining} rows the next execution takes. */
  public static int rowsPerExecution(int remaining) {
    return Math.min(MAX_ROWS, Integer.highestOneBit(remaining));
  }

  /**
   * One execution for rows {@code first} to {@code first + count - 1}, {@code count} as {@link
   * #rowsPerExecution} gives it; returns how many rows it inserted (fewer when the statement ends
   * with {@code ON CONFLICT DO NOTHING} and some were there already).
   */
  public int execute(SqlSession session, int first, int count, RowBinder binder)
      throws SQLException {
    PreparedStatement statement = session.prepare(sql(count));
    for (int r = 0; r < count; r++) {
      binder.bind(statement, first + r, 1 + r * columns);
    }
    return statement.executeUpdate();
  }

  private String sql(int rows) {
    int power = Integer.numberOfTrailingZeros(rows);
    String sql = sqlByPower[power];
    if (sql == null) {
      String row = "(" + "?, ".repeat(columns - 1) + "?)";
      StringBuilder text = new StringBuilder(head).append(" VALUES ");
      for (int i = 0; i < rows; i++) {
        text.append(i == 0 ? "" : ", ").append(row);
      }
      if (!tail.isEmpty()) {
        text.append(' ').append(tail);
      }
      sql = text.toString();
      sqlByPower[power] = sql;
    }
    return sql;
  }
}
