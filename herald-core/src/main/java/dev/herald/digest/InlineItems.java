package dev.herald.digest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The inline form in which backends keep a bucket's items: one line per item, {@code "<time_ms>
 * <json>\n"}, appended in arrival order. Appending is one cheap write; the order a notification
 * needs (event time, then arrival) is restored when the items are read.
 */
public final class InlineItems {

  private InlineItems() {}

  /** The line for one item. */
  public static String line(long timeMs, String json) {
    return timeMs + " " + json + "\n";
  }

  /** The item JSON texts of {@code text}, ordered by time, then as appended. */
  public static List<String> ordered(String text) {
    record Line(long time, int order, String json) {}
    List<Line> lines = new ArrayList<>();
    int order = 0;
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int space = line.indexOf(' ');
      lines.add(new Line(Long.parseLong(line, 0, space, 10), order++, line.substring(space + 1)));
    }
    lines.sort(Comparator.comparingLong(Line::time).thenComparingInt(Line::order));
    return lines.stream().map(Line::json).toList();
  }
}
