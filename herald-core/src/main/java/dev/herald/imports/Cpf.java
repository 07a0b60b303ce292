package dev.herald.imports;

import java.util.Optional;

/**
 * A Brazilian individual taxpayer number (CPF): eleven digits, the last two check digits (mod 11),
 * written {@code ddd.ddd.ddd-dd} or bare. Eleven equal digits pass the arithmetic and are invalid.
 */
public final class Cpf {

  private Cpf() {}

  /** The eleven digits of {@code text} written formatted or bare; empty when it is neither. */
  public static Optional<String> digits(String text) {
    if (text.length() == 11) {
      return allDigits(text, 0, 11) ? Optional.of(text) : Optional.empty();
    }
    if (text.length() == 14
        && text.charAt(3) == '.'
        && text.charAt(7) == '.'
        && text.charAt(11) == '-'
        && allDigits(text, 0, 3)
        && allDigits(text, 4, 7)
        && allDigits(text, 8, 11)
        && allDigits(text, 12, 14)) {
      return Optional.of(
          text.substring(0, 3) + text.substring(4, 7) + text.substring(8, 11) + text.substring(12));
    }
    return Optional.empty();
  }

  /** Whether eleven digits are a CPF: both check digits right, not one digit repeated. */
  public static boolean valid(String digits) {
    if (digits.length() != 11 || !allDigits(digits, 0, 11) || repeated(digits)) {
      return false;
    }
    return checkDigit(digits, 9) == digits.charAt(9) - '0'
        && checkDigit(digits, 10) == digits.charAt(10) - '0';
  }

  /** The check digit after the first {@code count} digits (weights count+1 down to 2). */
  private static int checkDigit(String digits, int count) {
    int sum = 0;
    for (int i = 0; i < count; i++) {
      sum += (digits.charAt(i) - '0') * (count + 1 - i);
    }
    int rest = sum * 10 % 11;
    return rest == 10 ? 0 : rest;
  }

  static boolean allDigits(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  static boolean repeated(String text) {
    for (int i = 1; i < text.length(); i++) {
      if (text.charAt(i) != text.charAt(0)) {
        return false;
      }
    }
    return true;
  }
}
