package dev.herald.json;

/**
 * Reads a few top-level fields of a JSON object's text without building its tree.
 *
 * <p>Why: the inbox engine needs three fields of each routed event (recipient, item key, source)
 * and stores the rest as the text it already has. Building a Jackson tree per event for that was
 * the largest allocation of the reviews benchmark (a parser, a map and a node per field for each of
 * 10,000,000 events), and the young collections it caused stopped the SQLite writer too.
 *
 * <p>Only the shapes it is sure of are answered: string values and integers that fit in a long.
 * Anything else among the wanted fields (a float, a boolean, null, an object or an array), and any
 * text it does not expect, makes {@link #read} answer null so that the caller parses the tree and
 * applies its own rules. For a field given twice, the last value counts, as in Jackson's tree.
 */
public final class TopLevelFields {

  private final String text;
  private int at;

  private TopLevelFields(String text) {
    this.text = text;
  }

  /**
   * The values of {@code names} in the object {@code json}, in their order: the string's text, or
   * an integer's decimal digits ({@code Long.toString}); null for an absent field.
   *
   * @param strings set to whether each found value was a JSON string
   * @return the values, or null when the caller must parse the tree instead
   */
  public static String[] read(String json, String[] names, boolean[] strings) {
    try {
      return new TopLevelFields(json).object(names, strings);
    } catch (RuntimeException unexpected) {
      return null; // malformed or a shape this reader leaves to Jackson
    }
  }

  private String[] object(String[] names, boolean[] strings) {
    String[] values = new String[names.length];
    skipSpace();
    expect('{');
    skipSpace();
    if (peek() == '}') {
      at++;
      return end(values);
    }
    while (true) {
      skipSpace();
      String name = string();
      skipSpace();
      expect(':');
      skipSpace();
      int wanted = indexOf(names, name);
      char c = peek();
      if (wanted < 0) {
        skipValue();
      } else if (c == '"') {
        values[wanted] = string();
        strings[wanted] = true;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        String digits = integer();
        if (digits == null) {
          return null;
        }
        values[wanted] = digits;
        strings[wanted] = false;
      } else {
        return null; // null, a boolean, an object or an array: the caller's rules decide
      }
      skipSpace();
      char next = text.charAt(at++);
      if (next == '}') {
        return end(values);
      }
      if (next != ',') {
        return null;
      }
    }
  }

  private String[] end(String[] values) {
    skipSpace();
    return at == text.length() ? values : null;
  }

  private static int indexOf(String[] names, String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private char peek() {
    return text.charAt(at);
  }

  private void expect(char c) {
    if (text.charAt(at++) != c) {
      throw new IllegalArgumentException("expected " + c);
    }
  }

  private void skipSpace() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      at++;
    }
  }

  /** A string literal starting at the quote; returns its text. */
  private String string() {
    expect('"');
    int start = at;
    while (true) {
      char c = text.charAt(at);
      if (c == '"') {
        at++;
        return text.substring(start, at - 1);
      }
      if (c == '\\') {
        return escapedString(start);
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("control character in a string");
      }
      at++;
    }
  }

  private String escapedString(int start) {
    StringBuilder out = new StringBuilder(text.length() - start).append(text, start, at);
    while (true) {
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("control character in a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> throw new IllegalArgumentException("bad escape");
      }
    }
  }

  /** An integer that fits in a long, as Long.toString gives it; null for any other number. */
  private String integer() {
    int start = at;
    if (peek() == '-') {
      at++;
    }
    int digitsStart = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    int digits = at - digitsStart;
    if (digits == 0 || digits > 19 || (digits > 1 && text.charAt(digitsStart) == '0')) {
      return null;
    }
    if (at < text.length()) {
      char c = text.charAt(at);
      if (c == '.' || c == 'e' || c == 'E') {
        return null; // a float: Jackson's tree writes it its own way
      }
    }
    return Long.toString(Long.parseLong(text, start, at, 10));
  }

  /** Skips any value: a string, or everything up to the end of a number, literal or container. */
  private void skipValue() {
    char c = peek();
    if (c == '"') {
      skipString();
      return;
    }
    if (c != '{' && c != '[') {
      while (at < text.length()) {
        char d = text.charAt(at);
        if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\n' || d == '\r') {
          return;
        }
        at++;
      }
      return;
    }
    int depth = 0;
    while (true) {
      char d = text.charAt(at);
      if (d == '"') {
        skipString();
        continue;
      }
      at++;
      if (d == '{' || d == '[') {
        depth++;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) {
          return;
        }
      }
    }
  }

  private void skipString() {
    at++; // the opening quote
    while (true) {
      char c = text.charAt(at++);
      if (c == '"') {
        return;
      }
      if (c == '\\') {
        at++;
      }
    }
  }
}
