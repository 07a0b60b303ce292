package dev.herald.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  private static List<String> lines(byte[] bytes) {
    LineReader reader = new LineReader(new ByteArrayInputStream(bytes));
    List<String> lines = new ArrayList<>();
    for (String line; (line = reader.next()) != null; ) {
      lines.add(line);
    }
    return lines;
  }

  private static List<String> lines(String text) {
    return lines(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsLfAndCrlfWithOrWithoutAFinalNewlineAndSkipsAByteOrderMark() {
    assertThat(lines("CPF\na\nb")).containsExactly("CPF", "a", "b");
    assertThat(lines("CPF\r\na\r\nb\r\n")).containsExactly("CPF", "a", "b");
    assertThat(lines("\uFEFFCPF ÚLTIMA\na")).containsExactly("CPF ÚLTIMA", "a");
    assertThat(lines("")).isEmpty();
    assertThat(lines("a\n\nb")).containsExactly("a", "", "b");
  }

  @Test
  void stopsAtWhatIsNotTextNamingTheLine() {
    byte[] latin1 = "CPF\nDATA DA ÚLTIMA\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> lines(latin1))
        .isInstanceOf(InvalidFileException.class)
        .hasMessageContaining("line 2: is not UTF-8 text")
        .hasMessageContaining("ISO-8859-1");
    LineReader declared =
        new LineReader(
            new ByteArrayInputStream(latin1),
            StandardCharsets.ISO_8859_1,
            LineReader.DEFAULT_MAX_LINE_BYTES);
    declared.next();
    assertThat(declared.next()).isEqualTo("DATA DA ÚLTIMA");

    assertThatThrownBy(() -> lines(new byte[] {'a', '\n', 'P', 'K', 3, 4, 0, 0}))
        .hasMessageContaining("line 2: holds a NUL byte");
    LineReader small =
        new LineReader(
            new ByteArrayInputStream("short\n12345678901\n".getBytes(StandardCharsets.UTF_8)),
            StandardCharsets.UTF_8,
            10);
    assertThat(small.next()).isEqualTo("short");
    assertThatThrownBy(small::next).hasMessageContaining("line 2: is longer than 10 bytes");
  }

  @Test
  void splitsLinesByWhitespaceFixedWidthsOrCsv() {
    String row =
        "990.999.999-66     0           0           2013-05-22            399,00                "
            + "399,00                  79.379.491/0008-50  79.379.491/0008-50";
    assertThat(new LineFormat.Whitespace().split(row).values())
        .containsExactly(
            "990.999.999-66",
            "0",
            "0",
            "2013-05-22",
            "399,00",
            "399,00",
            "79.379.491/0008-50",
            "79.379.491/0008-50");
    assertThat(new LineFormat.FixedWidth(List.of(19, 12, 12, 22)).split(row).values())
        .startsWith("990.999.999-66", "0", "0")
        .hasSize(4);
    assertThat(new LineFormat.FixedWidth(List.of(3, 3, 3)).split("ab").values())
        .containsExactly("ab", "", "");
    LineFormat csv = new LineFormat.Csv(';');
    assertThat(csv.split("a;\"b\"x;c").problem()).contains("text after a closing quote");
    assertThat(csv.split("a;\"b;c\";\"say \"\"hi\"\"\";").values())
        .containsExactly("a", "b;c", "say \"hi\"", "");
    assertThat(csv.split("a;\"open").problem()).contains("not closed");
    assertThat(csv.split("x").values()).containsExactly("x");
  }
}
