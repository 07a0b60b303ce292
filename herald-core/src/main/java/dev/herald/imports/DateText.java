package dev.herald.imports;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.Optional;

/** A calendar date written {@code YYYY-MM-DD}; a day the calendar does not have is no date. */
public final class DateText {

  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd").withResolverStyle(ResolverStyle.STRICT);

  private DateText() {}

  /** The date {@code text} names; empty when malformed or impossible ({@code 2013-02-30}). */
  public static Optional<LocalDate> parse(String text) {
    if (text.length() != 10) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(text, ISO));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
