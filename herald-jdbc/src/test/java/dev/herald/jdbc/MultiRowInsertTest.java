package dev.herald.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MultiRowInsertTest {

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 255, 256, 257, 700})
  void shouldInsertEveryRowOnceWithItsOwnValues(int rows) throws SQLException {
    try (SqlSession session = new SqlSession(DriverManager.getConnection("jdbc:sqlite::memory:"))) {
      Connection connection = session.connection();
      try (Statement sql = connection.createStatement()) {
        sql.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
      }
      MultiRowInsert insert = new MultiRowInsert("INSERT INTO t (n, text)", 2);
      insert.run(
          session,
          rows,
          (statement, row, parameter) -> {
            statement.setInt(parameter, row);
            statement.setString(parameter + 1, "row " + row);
          });
      List<String> stored = new ArrayList<>();
      try (Statement sql = connection.createStatement();
          ResultSet rs = sql.executeQuery("SELECT n, text FROM t ORDER BY n")) {
        while (rs.next()) {
          stored.add(rs.getInt(1) + ":" + rs.getString(2));
        }
      }
      assertThat(stored)
          .containsExactlyElementsOf(
              IntStream.range(0, rows).mapToObj(n -> n + ":row " + n).toList());
    }
  }

  @org.junit.jupiter.api.Test
  void shouldTellHowManyRowsAnExecutionInsertedWhenItsTailSkipsConflicts() throws SQLException {
    try (SqlSession session = new SqlSession(DriverManager.getConnection("jdbc:sqlite::memory:"))) {
      try (Statement sql = session.connection().createStatement()) {
        sql.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)");
        sql.execute("INSERT INTO t (n) VALUES (2), (5)");
      }
      MultiRowInsert insert = new MultiRowInsert("INSERT INTO t (n)", 1, "ON CONFLICT DO NOTHING");
      MultiRowInsert.RowBinder binder =
          (statement, row, parameter) -> statement.setInt(parameter, row);
      assertThat(MultiRowInsert.rowsPerExecution(300)).isEqualTo(256);
      assertThat(MultiRowInsert.rowsPerExecution(7)).isEqualTo(4);
      assertThat(insert.execute(session, 0, 4, binder))
          .as("rows 0-3, 2 there already")
          .isEqualTo(3);
      assertThat(insert.execute(session, 4, 4, binder))
          .as("rows 4-7, 5 there already")
          .isEqualTo(3);
      assertThat(insert.execute(session, 8, 1, binder)).isEqualTo(1);
      assertThat(insert.execute(session, 8, 1, binder)).isZero();
    }
  }
}
