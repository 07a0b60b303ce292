package dev.herald.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written reader answers exactly as java.time's formatters do, wherever it answers. */
class EventTimeTextTest {

  @Test
  void shouldReadTheCommonShapesWithoutTheFormatters() {
    assertEquals(
        Instant.parse("2022-06-28T19:35:00Z"), EventTimeText.quickly("2022-06-28 19:35:00"));
    assertEquals(
        Instant.parse("2022-06-28T19:35:00.125Z"),
        EventTimeText.quickly("2022-06-28 19:35:00.125"));
    assertEquals(
        Instant.parse("2022-06-28T19:35:00Z"), EventTimeText.quickly("2022-06-28T19:35:00"));
    assertEquals(
        Instant.parse("2022-06-28T17:35:00.000000001Z"),
        EventTimeText.quickly("2022-06-28T19:35:00.000000001+02:00"));
    assertEquals(
        Instant.parse("2022-06-28T21:05:00.5Z"),
        EventTimeText.quickly("2022-06-28T19:35:00.5-01:30"));
    assertEquals(
        Instant.parse("2024-02-29T23:59:59.123456Z"),
        EventTimeText.quickly("2024-02-29T23:59:59.123456Z"));
  }

  @Test
  void shouldLeaveEverythingElseToTheFormatters() {
    for (String text :
        List.of(
            "2023-02-29T10:00:00Z",
            "2022-06-28T24:00:00Z",
            "2022-06-28 19:35:00.12",
            "2022-06-28 19:35:00Z",
            "2022-06-28T19:35Z",
            "2022-06-28t19:35:00z",
            "2022-06-28T19:35:00.1234567891Z",
            "2022-06-28T19:35:00+18:00",
            "+12022-06-28T19:35:00Z",
            "2022-06-28T19:35:00+0200",
            "2022-13-01T00:00:00Z")) {
      assertNull(EventTimeText.quickly(text), text);
      assertEquals(EventTimeText.withFormatters(text), EventTimeText.parse(text), text);
    }
    assertEquals(
        Optional.of(Instant.parse("2022-06-28T19:35:00Z")),
        EventTimeText.parse("2022-06-28t19:35:00z"));
    assertEquals(Optional.empty(), EventTimeText.parse("2023-02-29T10:00:00Z"));
  }

  @Test
  void shouldAgreeWithTheFormattersOnRandomTimesAndMutationsOfThem() {
    SplittableRandom random = new SplittableRandom(7);
    String alphabet = "0123456789-:T Z+.zt";
    int answeredQuickly = 0;
    for (int n = 0; n < 30_000; n++) {
      String text = randomTime(random);
      List<String> variants = new ArrayList<>(List.of(text));
      char[] chars = text.toCharArray();
      chars[random.nextInt(chars.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
      variants.add(new String(chars));
      variants.add(text.substring(0, random.nextInt(text.length())));
      for (String variant : variants) {
        Instant quick = EventTimeText.quickly(variant);
        Optional<Instant> expected = EventTimeText.withFormatters(variant);
        if (quick != null) {
          answeredQuickly++;
          assertEquals(expected, Optional.of(quick), variant);
        }
        assertEquals(expected, EventTimeText.parse(variant), variant);
      }
    }
    // the fast path must actually be the one taken for well-formed times
    assertNotNull(EventTimeText.quickly(randomTime(random)));
    assertEquals(true, answeredQuickly > 20_000, "answered quickly: " + answeredQuickly);
  }

  private static String randomTime(SplittableRandom random) {
    StringBuilder text =
        new StringBuilder(
            String.format(
                "%04d-%02d-%02d",
                random.nextInt(1, 10_000), random.nextInt(1, 13), random.nextInt(1, 32)));
    boolean spaced = random.nextInt(4) == 0;
    text.append(spaced ? ' ' : 'T')
        .append(
            String.format(
                "%02d:%02d:%02d", random.nextInt(24), random.nextInt(60), random.nextInt(60)));
    if (random.nextBoolean()) {
      int digits = spaced ? 3 : random.nextInt(1, 10);
      text.append('.');
      for (int i = 0; i < digits; i++) {
        text.append((char) ('0' + random.nextInt(10)));
      }
    }
    if (!spaced) {
      switch (random.nextInt(3)) {
        case 0 -> text.append('Z');
        case 1 ->
            text.append(random.nextBoolean() ? '+' : '-')
                .append(String.format("%02d:%02d", random.nextInt(18), random.nextInt(60)));
        default -> {}
      }
    }
    return text.toString();
  }
}
