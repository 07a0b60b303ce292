package dev.herald.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import dev.herald.notify.Notification;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A notification as the relational outboxes keep it: a row of {@code notification} with its items
 * as one JSON array and its times in epoch milliseconds.
 */
public final class NotificationRows {

  /** The columns {@link #notification} reads, in its order, from a table aliased {@code n}. */
  public static final String COLUMNS =
      "n.seq, n.id, n.rule, n.recipient, n.items, n.first_ms, n.last_ms, n.due_ms, n.created_ms";

  private NotificationRows() {}

  /** The notification in the current row, read from {@link #COLUMNS}. */
  public static Notification notification(ResultSet rs) throws SQLException {
    JsonNode items = Json.parseTrusted(rs.getString(5));
    List<JsonNode> list = new ArrayList<>(items.size());
    items.forEach(list::add);
    return new Notification(
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        list,
        Instant.ofEpochMilli(rs.getLong(6)),
        Instant.ofEpochMilli(rs.getLong(7)),
        Instant.ofEpochMilli(rs.getLong(8)),
        Instant.ofEpochMilli(rs.getLong(9)));
  }
}
