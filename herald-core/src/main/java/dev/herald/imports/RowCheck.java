package dev.herald.imports;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the fields of one line into a typed, sanitised row by an importer's columns: each value
 * stored as its type stores it (CPF digits, CNPJ upper case, dates, decimals, booleans, trimmed
 * text), the null marker as null, and each column that flags rather than rejects marked valid or
 * not. A row with a wrong number of fields, a null where none may be, or an invalid value in a
 * rejecting column is rejected with the first reason.
 *
 * <p>Thread-safety: immutable.
 */
public final class RowCheck {

  private static final Pattern MARKS = Pattern.compile("\\p{M}+");

  private final List<ImportColumn> columns;
  private final String nullMarker;

  public RowCheck(List<ImportColumn> columns, String nullMarker) {
    this.columns = List.copyOf(columns);
    this.nullMarker = Objects.requireNonNull(nullMarker, "nullMarker");
  }

  /**
   * A row that is kept: its values in column order (String, LocalDate, BigDecimal, Boolean, Long or
   * null) and, per column, whether its value was valid (always true for rejecting columns).
   */
  public record Row(List<Object> values, boolean[] valid) {
    /** Whether any flagging column held an invalid value. */
    public boolean flagged() {
      for (boolean v : valid) {
        if (!v) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Why a row is not kept.
   *
   * @param reason a reason code: {@code wrong_columns}, {@code missing_value}, {@code invalid_cpf}
   *     …
   * @param column the column at fault, empty for the row as a whole
   * @param value the text at fault
   */
  public record Reject(String reason, String column, String value) {}

  /** The outcome for one line: a row, or a reject, and the reasons of values flagged. */
  public record Outcome(Optional<Row> row, Optional<Reject> reject, List<String> flaggedReasons) {}

  public Outcome check(List<String> fields) {
    if (fields.size() != columns.size()) {
      return rejected(
          new Reject(
              "wrong_columns",
              "",
              "has " + fields.size() + " fields where " + columns.size() + " are expected"));
    }
    List<Object> values = new ArrayList<>(columns.size());
    boolean[] valid = new boolean[columns.size()];
    Arrays.fill(valid, true);
    List<String> flagged = List.of();
    for (int i = 0; i < columns.size(); i++) {
      ImportColumn column = columns.get(i);
      String text = fields.get(i).strip();
      if (text.equals(nullMarker)) {
        if (!column.nullable()) {
          return rejected(new Reject("missing_value", column.name(), text));
        }
        values.add(null);
        continue;
      }
      Read read = read(column, text);
      if (read.valid()) {
        values.add(read.value());
      } else if (column.onInvalid() == ImportColumn.OnInvalid.REJECT) {
        return rejected(new Reject(column.invalidReason(), column.name(), text));
      } else {
        values.add(read.value());
        valid[i] = false;
        if (flagged.isEmpty()) {
          flagged = new ArrayList<>();
        }
        flagged.add(column.invalidReason() + ":" + column.name());
      }
    }
    return new Outcome(Optional.of(new Row(values, valid)), Optional.empty(), flagged);
  }

  private static Outcome rejected(Reject reject) {
    return new Outcome(Optional.empty(), Optional.of(reject), List.of());
  }

  /** A value read: valid, or not (with what could still be kept, else null). */
  private record Read(Object value, boolean valid) {}

  private static Read read(ImportColumn column, String text) {
    return switch (column.type()) {
      case CPF ->
          Cpf.digits(text).map(d -> new Read(d, Cpf.valid(d))).orElse(new Read(null, false));
      case CNPJ ->
          Cnpj.characters(text).map(c -> new Read(c, Cnpj.valid(c))).orElse(new Read(null, false));
      case DATE -> DateText.parse(text).map(d -> new Read(d, true)).orElse(new Read(null, false));
      case DECIMAL ->
          DecimalText.parse(text, column.decimalSeparator(), column.scale())
              .<Read>map(d -> new Read(d, true))
              .orElse(new Read(null, false));
      case BOOLEAN ->
          switch (text) {
            case "0" -> new Read(Boolean.FALSE, true);
            case "1" -> new Read(Boolean.TRUE, true);
            default -> new Read(null, false);
          };
      case INTEGER -> integer(text);
      case TEXT -> new Read(column.upperAscii() ? upperAscii(text) : text, true);
    };
  }

  private static Read integer(String text) {
    try {
      return new Read(Long.parseLong(text), true);
    } catch (NumberFormatException e) {
      return new Read(null, false);
    }
  }

  private static String upperAscii(String text) {
    return MARKS
        .matcher(Normalizer.normalize(text, Normalizer.Form.NFD))
        .replaceAll("")
        .toUpperCase(Locale.ROOT);
  }
}
