package dev.herald.imports;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A decimal number as files write it: an optional minus, digits, and at most one separator (a
 * comma, as in {@code 399,00}, or a dot, as the column says) followed by at most {@code scale}
 * digits. Thousands separators, exponents and a separator with no digits after it are malformed.
 */
public final class DecimalText {

  private DecimalText() {}

  /**
   * The number {@code text} writes with {@code separator}, at {@code scale} decimal places; empty
   * when malformed or when it has more places.
   */
  public static Optional<BigDecimal> parse(String text, char separator, int scale) {
    int start = text.startsWith("-") ? 1 : 0;
    int at = text.indexOf(separator);
    int end = at < 0 ? text.length() : at;
    if (end == start || !Cpf.allDigits(text, start, end)) {
      return Optional.empty();
    }
    if (at >= 0) {
      int places = text.length() - at - 1;
      if (places < 1 || places > scale || !Cpf.allDigits(text, at + 1, text.length())) {
        return Optional.empty();
      }
    }
    String plain = at < 0 ? text : text.substring(0, at) + "." + text.substring(at + 1);
    return Optional.of(new BigDecimal(plain).setScale(scale));
  }
}
