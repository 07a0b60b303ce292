package dev.herald.sqlite;

import dev.herald.jdbc.PositionRuns;
import dev.herald.jdbc.SqlSession;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The events each digest rule took, by their {@link dev.herald.log.Event#position() positions},
 * kept as runs of consecutive positions in {@code digest_taken} (the column names say id: they held
 * SQLite's event ids, which are the positions its log gives). An engine reads its stream in batches
 * of consecutive events and adds each batch in one write, so on a log that numbers its events
 * consecutively a rule's runs grow by extending the newest one: the table holds a row per gap
 * (events the rule did not take) instead of a row per event, and a redelivered event is found by a
 * range lookup. A log with gaps between positions (Redis's) makes more, shorter runs.
 *
 * <p>Called on the database's writer thread only, inside the write that adds the items.
 */
final class TakenRuns {

  private TakenRuns() {}

  /** Which of {@code ids} (any order) the rule already took. */
  static Set<Long> taken(SqlSession session, String rule, long[] ids) throws SQLException {
    if (ids.length == 0) {
      return Set.of();
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (long id : ids) {
      min = Math.min(min, id);
      max = Math.max(max, id);
    }
    // runs never overlap, so walking down from the newest run that starts at or before max, the
    // first run that ends before min ends the search
    PreparedStatement select =
        session.prepare(
            "SELECT first_id, last_id FROM digest_taken WHERE rule = ? AND first_id <= ? ORDER BY first_id DESC");
    select.setString(1, rule);
    select.setLong(2, max);
    List<long[]> overlapping = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        long first = rs.getLong(1);
        long last = rs.getLong(2);
        if (last < min) {
          break;
        }
        overlapping.add(new long[] {first, last});
      }
    }
    if (overlapping.isEmpty()) {
      return Set.of();
    }
    return PositionRuns.covered(overlapping, ids);
  }

  /** Records that the rule took {@code ids} (any order, none taken before). */
  static void record(SqlSession session, String rule, long[] ids) throws SQLException {
    if (ids.length == 0) {
      return;
    }
    PreparedStatement insert =
        session.prepare("INSERT INTO digest_taken (rule, first_id, last_id) VALUES (?, ?, ?)");
    List<long[]> runs = PositionRuns.of(ids);
    for (int i = 0; i < runs.size(); i++) {
      long first = runs.get(i)[0];
      long last = runs.get(i)[1];
      // only the first run can continue one recorded before; the others follow gaps of this batch
      if (i > 0 || !extendPrevious(session, rule, first, last)) {
        insert.setString(1, rule);
        insert.setLong(2, first);
        insert.setLong(3, last);
        insert.executeUpdate();
      }
    }
  }

  /** Extends the run that ends right before {@code first}, if there is one. */
  private static boolean extendPrevious(SqlSession session, String rule, long first, long last)
      throws SQLException {
    PreparedStatement previous =
        session.prepare(
            "SELECT first_id, last_id FROM digest_taken WHERE rule = ? AND first_id < ? ORDER BY first_id DESC LIMIT 1");
    previous.setString(1, rule);
    previous.setLong(2, first);
    long previousFirst;
    try (ResultSet rs = previous.executeQuery()) {
      if (!rs.next() || rs.getLong(2) != first - 1) {
        return false;
      }
      previousFirst = rs.getLong(1);
    }
    PreparedStatement extend =
        session.prepare("UPDATE digest_taken SET last_id = ? WHERE rule = ? AND first_id = ?");
    extend.setLong(1, last);
    extend.setString(2, rule);
    extend.setLong(3, previousFirst);
    extend.executeUpdate();
    return true;
  }
}
