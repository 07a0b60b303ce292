package dev.herald.imports;

import java.util.ArrayList;
import java.util.List;

/** How a line of an import file splits into fields. */
public sealed interface LineFormat {

  /** The fields of {@code line}, trimmed; a line the format cannot split gives an error text. */
  Fields split(String line);

  /**
   * The fields of a line, or why it has none.
   *
   * @param problem empty when the line split; otherwise what is wrong, for the reject
   */
  record Fields(List<String> values, String problem) {
    static Fields of(List<String> values) {
      return new Fields(values, "");
    }

    static Fields failed(String problem) {
      return new Fields(List.of(), problem);
    }

    public boolean ok() {
      return problem.isEmpty();
    }
  }

  /** Fields separated by runs of spaces or tabs (no value holds one). */
  record Whitespace() implements LineFormat {
    @Override
    public Fields split(String line) {
      String trimmed = line.strip();
      return Fields.of(trimmed.isEmpty() ? List.of() : List.of(trimmed.split("[ \\t]+")));
    }
  }

  /**
   * Fields of fixed widths in characters, each trimmed; the last takes the rest of the line, and a
   * short line gives empty fields at its end.
   */
  record FixedWidth(List<Integer> widths) implements LineFormat {
    public FixedWidth {
      widths = List.copyOf(widths);
      if (widths.isEmpty() || widths.stream().anyMatch(w -> w < 1)) {
        throw new IllegalArgumentException("widths must be positive, but were " + widths);
      }
    }

    @Override
    public Fields split(String line) {
      List<String> values = new ArrayList<>(widths.size());
      int at = 0;
      for (int i = 0; i < widths.size(); i++) {
        int end =
            i == widths.size() - 1 ? line.length() : Math.min(line.length(), at + widths.get(i));
        values.add(line.substring(at, Math.max(at, end)).strip());
        at = end;
      }
      return Fields.of(values);
    }
  }

  /**
   * Fields separated by {@code delimiter}, each optionally in double quotes ({@code ""} for one).
   */
  record Csv(char delimiter) implements LineFormat {
    @Override
    public Fields split(String line) {
      List<String> values = new ArrayList<>();
      StringBuilder value = new StringBuilder();
      int i = 0;
      while (true) {
        if (i < line.length() && line.charAt(i) == '"') {
          i++;
          while (true) {
            if (i >= line.length()) {
              return Fields.failed("has a quoted value that is not closed");
            }
            char c = line.charAt(i++);
            if (c == '"') {
              if (i < line.length() && line.charAt(i) == '"') {
                value.append('"');
                i++;
              } else {
                break;
              }
            } else {
              value.append(c);
            }
          }
          if (i < line.length() && line.charAt(i) != delimiter) {
            return Fields.failed("has text after a closing quote at character " + (i + 1));
          }
          values.add(value.toString());
        } else {
          int end = line.indexOf(delimiter, i);
          values.add(line.substring(i, end < 0 ? line.length() : end).strip());
          i = end < 0 ? line.length() : end;
        }
        value.setLength(0);
        if (i >= line.length()) {
          return Fields.of(values);
        }
        i++; // the delimiter
        if (i == line.length()) {
          values.add("");
          return Fields.of(values);
        }
      }
    }
  }
}
