package dev.herald.imports;

import java.util.Locale;
import java.util.Optional;

/**
 * A Brazilian company number (CNPJ): fourteen characters, the last two check digits (mod 11),
 * written {@code dd.ddd.ddd/dddd-dd} or bare. Since July 2026 the first twelve may be letters too
 * ({@code 12.ABC.345/01DE-35}): each character counts as its ASCII code minus 48, so a digit counts
 * as itself. Letters are read in either case and stored upper case.
 */
public final class Cnpj {

  private static final int[] FIRST_WEIGHTS = {5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  private static final int[] SECOND_WEIGHTS = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};

  private Cnpj() {}

  /**
   * The fourteen characters of {@code text} written formatted or bare, upper case; empty when it is
   * neither.
   */
  public static Optional<String> characters(String text) {
    String upper = text.toUpperCase(Locale.ROOT);
    String bare;
    if (upper.length() == 14) {
      bare = upper;
    } else if (upper.length() == 18
        && upper.charAt(2) == '.'
        && upper.charAt(6) == '.'
        && upper.charAt(10) == '/'
        && upper.charAt(15) == '-') {
      bare =
          upper.substring(0, 2)
              + upper.substring(3, 6)
              + upper.substring(7, 10)
              + upper.substring(11, 15)
              + upper.substring(16);
    } else {
      return Optional.empty();
    }
    for (int i = 0; i < 12; i++) {
      if (!alphanumeric(bare.charAt(i))) {
        return Optional.empty();
      }
    }
    return Cpf.allDigits(bare, 12, 14) ? Optional.of(bare) : Optional.empty();
  }

  /**
   * Whether fourteen characters are a CNPJ: both check digits right, not one character repeated.
   */
  public static boolean valid(String characters) {
    if (characters.length() != 14 || Cpf.repeated(characters)) {
      return false;
    }
    for (int i = 0; i < 12; i++) {
      if (!alphanumeric(characters.charAt(i))) {
        return false;
      }
    }
    if (!Cpf.allDigits(characters, 12, 14)) {
      return false;
    }
    return checkDigit(characters, FIRST_WEIGHTS) == characters.charAt(12) - '0'
        && checkDigit(characters, SECOND_WEIGHTS) == characters.charAt(13) - '0';
  }

  private static int checkDigit(String characters, int[] weights) {
    int sum = 0;
    for (int i = 0; i < weights.length; i++) {
      sum += (characters.charAt(i) - 48) * weights[i];
    }
    int rest = sum % 11;
    return rest < 2 ? 0 : 11 - rest;
  }

  private static boolean alphanumeric(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
  }
}
