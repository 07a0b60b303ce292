package dev.herald.jdbc;

import java.sql.SQLException;

/** Work done with one SQL connection, inside a transaction when it writes. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(SqlSession session) throws SQLException;
}
