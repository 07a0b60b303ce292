package dev.herald.digest;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads an event time from a payload field: ISO-8601 with or without a zone, or {@code yyyy-MM-dd
 * HH:mm:ss[.SSS]}; no zone means UTC.
 *
 * <p>The common shapes ({@code 2022-06-28T19:35:00.123Z}, {@code 2022-06-28 19:35:00}) are read by
 * hand: java.time's formatters took half of the digest engine's thread in the benchmark (each parse
 * copies its field map at every optional section). Anything the hand-written reader does not accept
 * in full goes to the formatters, so what is accepted, and as what instant, is decided by them
 * alone; the reader is only a faster way to the same answer.
 */
final class EventTimeText {

  private static final DateTimeFormatter SPACED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSS]");

  private EventTimeText() {}

  static Optional<Instant> parse(String text) {
    Instant quick = quickly(text);
    return quick != null ? Optional.of(quick) : withFormatters(text);
  }

  /** The formatters' answer, which {@link #quickly} must match wherever it answers. */
  static Optional<Instant> withFormatters(String text) {
    try {
      return Optional.of(OffsetDateTime.parse(text).toInstant());
    } catch (DateTimeParseException notOffset) {
      // fall through to the zone-less forms
    }
    for (DateTimeFormatter format :
        new DateTimeFormatter[] {DateTimeFormatter.ISO_LOCAL_DATE_TIME, SPACED}) {
      try {
        return Optional.of(LocalDateTime.parse(text, format).toInstant(ZoneOffset.UTC));
      } catch (DateTimeParseException ignored) {
        // try the next form
      }
    }
    return Optional.empty();
  }

  /**
   * {@code yyyy-MM-dd'T'HH:mm:ss[.f{1,9}][Z|±HH:MM]} or {@code yyyy-MM-dd HH:mm:ss[.fff]}; null for
   * anything else, including values out of range, which the formatters then judge.
   */
  static Instant quickly(String text) {
    int length = text.length();
    if (length < 19
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':') {
      return null;
    }
    char separator = text.charAt(10);
    if (separator != 'T' && separator != ' ') {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 2);
    int day = digits(text, 8, 2);
    int hour = digits(text, 11, 2);
    int minute = digits(text, 14, 2);
    int second = digits(text, 17, 2);
    if ((year | month | day | hour | minute | second) < 0
        || hour > 23
        || minute > 59
        || second > 59) {
      return null;
    }
    int at = 19;
    int nanos = 0;
    if (at < length && text.charAt(at) == '.') {
      int start = ++at;
      while (at < length && at - start < 9 && isDigit(text.charAt(at))) {
        nanos = nanos * 10 + (text.charAt(at++) - '0');
      }
      int fraction = at - start;
      if (fraction == 0 || (separator == ' ' && fraction != 3)) {
        return null;
      }
      for (int i = fraction; i < 9; i++) {
        nanos *= 10;
      }
    }
    int offsetSeconds = 0;
    if (at < length) {
      if (separator == ' ') {
        return null;
      }
      char sign = text.charAt(at);
      if (sign == 'Z' && at + 1 == length) {
        offsetSeconds = 0;
      } else if ((sign == '+' || sign == '-') && at + 6 == length && text.charAt(at + 3) == ':') {
        int offsetHours = digits(text, at + 1, 2);
        int offsetMinutes = digits(text, at + 4, 2);
        if ((offsetHours | offsetMinutes) < 0 || offsetHours > 17 || offsetMinutes > 59) {
          return null;
        }
        offsetSeconds = (sign == '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
      } else {
        return null;
      }
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException outOfRange) {
      return null;
    }
    return Instant.ofEpochSecond(
        epochDay * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds, nanos);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The number written by {@code count} digits at {@code from}; -1 when one is not a digit. */
  private static int digits(String text, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = text.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
