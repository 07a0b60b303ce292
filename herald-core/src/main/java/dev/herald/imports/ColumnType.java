package dev.herald.imports;

/** What a column of an import file holds, and so how its text is read and stored. */
public enum ColumnType {
  /** A CPF, stored as its eleven digits. */
  CPF,
  /** A CNPJ, stored as its fourteen characters, upper case. */
  CNPJ,
  /** A calendar date written {@code YYYY-MM-DD}. */
  DATE,
  /** A decimal with the column's separator and places, stored as a {@code BigDecimal}. */
  DECIMAL,
  /** {@code 0} or {@code 1}. */
  BOOLEAN,
  /** A whole number that fits 64 bits. */
  INTEGER,
  /** Text, trimmed (and, when the column says so, upper case without accents). */
  TEXT
}
