package dev.herald.imports;

import java.util.Locale;
import java.util.Objects;

/**
 * One column of an importer.
 *
 * @param name the column's name in the target table
 * @param type what it holds
 * @param onInvalid what a value that is not of its type does to the row
 * @param nullable whether the null marker may stand for it
 * @param decimalSeparator for {@link ColumnType#DECIMAL}: {@code ,} or {@code .}
 * @param scale for {@link ColumnType#DECIMAL}: the most places after the separator
 * @param upperAscii for {@link ColumnType#TEXT}: stored upper case, accents removed
 */
public record ImportColumn(
    String name,
    ColumnType type,
    OnInvalid onInvalid,
    boolean nullable,
    char decimalSeparator,
    int scale,
    boolean upperAscii) {

  /** What an invalid value does. */
  public enum OnInvalid {
    /** The row is rejected, with the column and the reason. */
    REJECT,
    /** The row is kept: the value is stored when it could be read (else null), marked invalid. */
    FLAG
  }

  public ImportColumn {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(onInvalid, "onInvalid");
    if (decimalSeparator != ',' && decimalSeparator != '.') {
      throw new IllegalArgumentException(
          "a decimal separator is , or . but was '" + decimalSeparator + "'");
    }
    if (scale < 0 || scale > 18) {
      throw new IllegalArgumentException("scale must be 0 to 18, but was " + scale);
    }
  }

  /** A nullable column that rejects invalid values, decimals with a comma and 2 places. */
  public static ImportColumn of(String name, ColumnType type) {
    return new ImportColumn(name, type, OnInvalid.REJECT, true, ',', 2, false);
  }

  public ImportColumn flagging() {
    return new ImportColumn(
        name, type, OnInvalid.FLAG, nullable, decimalSeparator, scale, upperAscii);
  }

  /** The reason code of an invalid value of this column, e.g. {@code invalid_cpf}. */
  public String invalidReason() {
    return "invalid_" + type.name().toLowerCase(Locale.ROOT);
  }
}
