package dev.herald.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import dev.herald.notify.Delivery;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationPage;
import dev.herald.notify.NotificationQuery;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A notification as the relational outboxes keep it: a row of {@code notification} with its items
 * as one JSON array and its times in epoch milliseconds.
 */
public final class NotificationRows {

  /** The columns {@link #notification} reads, in its order, from a table aliased {@code n}. */
  public static final String COLUMNS =
      "n.seq, n.id, n.rule, n.recipient, n.items, n.first_ms, n.last_ms, n.due_ms, n.created_ms";

  /**
   * The query {@link #deliveries} reads: a notification's deliveries, one row per attempt (or one
   * row with no attempt), by sink and attempt number; its parameter is the notification id.
   */
  public static final String DELIVERIES =
      "SELECT d.sink, d.state, d.next_ms, a.number, a.at_ms, a.succeeded, a.detail FROM notification n "
          + "JOIN delivery d ON d.notification_seq = n.seq "
          + "LEFT JOIN delivery_attempt a ON a.notification_seq = d.notification_seq AND a.sink = d.sink "
          + "WHERE n.id = ? ORDER BY d.sink, a.number";

  private NotificationRows() {}

  /** The deliveries of {@code notificationId} from the rows of {@link #DELIVERIES}. */
  public static List<Delivery> deliveries(String notificationId, ResultSet rs) throws SQLException {
    Map<String, Delivery.State> states = new LinkedHashMap<>();
    Map<String, Optional<Instant>> next = new LinkedHashMap<>();
    Map<String, List<Delivery.Attempt>> attempts = new LinkedHashMap<>();
    while (rs.next()) {
      String sink = rs.getString(1);
      if (!states.containsKey(sink)) {
        Delivery.State state = Delivery.State.valueOf(rs.getString(2));
        long nextMs = rs.getLong(3);
        states.put(sink, state);
        next.put(
            sink,
            rs.wasNull() || state != Delivery.State.PENDING
                ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(nextMs)));
        attempts.put(sink, new ArrayList<>());
      }
      int number = rs.getInt(4);
      if (!rs.wasNull()) {
        attempts
            .get(sink)
            .add(
                new Delivery.Attempt(
                    number,
                    Instant.ofEpochMilli(rs.getLong(5)),
                    rs.getBoolean(6),
                    rs.getString(7)));
      }
    }
    List<Delivery> deliveries = new ArrayList<>(states.size());
    for (String sink : states.keySet()) {
      deliveries.add(
          new Delivery(
              notificationId,
              sink,
              states.get(sink),
              next.get(sink),
              List.copyOf(attempts.get(sink))));
    }
    return deliveries;
  }

  /**
   * A page of {@code query} from the rows of a select of {@link #COLUMNS} ordered by sequence
   * number after {@code after}, asking for one row more than the page holds (to know whether more
   * follow); the next cursor is the last sequence number returned.
   */
  public static NotificationPage page(ResultSet rs, NotificationQuery query, long after)
      throws SQLException {
    List<Notification> page = new ArrayList<>();
    long lastSeq = after;
    boolean more = false;
    while (rs.next()) {
      if (page.size() == query.limit()) {
        more = true;
        break;
      }
      page.add(notification(rs));
      lastSeq = rs.getLong(1);
    }
    // without more rows the cursor still moves past what was returned, so a follower can poll
    // with it
    Optional<String> next =
        more || !page.isEmpty() ? Optional.of(Long.toString(lastSeq)) : query.after();
    return new NotificationPage(page, next);
  }

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
