package dev.herald.imports;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.Seeds;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class BrazilianValuesTest {

  @Test
  void readsCpfsFormattedOrBareAndChecksBothDigits() {
    assertThat(Cpf.digits("041.091.641-25")).contains("04109164125");
    assertThat(Cpf.digits("04109164125")).contains("04109164125");
    assertThat(Cpf.digits("041.091.641.25")).isEmpty();
    assertThat(Cpf.digits("0410916412")).isEmpty();
    assertThat(Cpf.digits("07.608.139/0001-61")).isEmpty();
    assertThat(Cpf.valid("04109164125")).isTrue();
    assertThat(Cpf.valid("04109164126")).as("second check digit wrong").isFalse();
    assertThat(Cpf.valid("04109164135")).as("first check digit wrong").isFalse();
    assertThat(Cpf.valid("11111111111")).as("one digit repeated passes the sums").isFalse();
    assertThat(Cpf.valid("00000000000")).isFalse();
    assertThat(Cpf.valid("0410916412a")).isFalse();
  }

  @Test
  void readsCnpjsNumericAndAlphanumeric() {
    assertThat(Cnpj.characters("11.222.333/0001-81")).contains("11222333000181");
    assertThat(Cnpj.valid("11222333000181")).isTrue();
    assertThat(Cnpj.valid("11222333000182")).isFalse();
    // the Receita Federal's example of the alphanumeric CNPJ issued from July 2026
    assertThat(Cnpj.characters("12.ABC.345/01DE-35")).contains("12ABC34501DE35");
    assertThat(Cnpj.characters("12.abc.345/01de-35")).contains("12ABC34501DE35");
    assertThat(Cnpj.valid("12ABC34501DE35")).isTrue();
    assertThat(Cnpj.valid("12ABC34501DF35")).isFalse();
    assertThat(Cnpj.characters("12.ABC.345/01DE-3X")).as("check digits are digits").isEmpty();
    assertThat(Cnpj.characters("12-ABC-345/01DE-35")).isEmpty();
    assertThat(Cnpj.valid("00000000000000")).isFalse();
  }

  @Test
  void refusesImpossibleDatesAndMalformedDecimals() {
    assertThat(DateText.parse("2013-05-22")).contains(LocalDate.of(2013, 5, 22));
    assertThat(DateText.parse("2013-02-30")).isEmpty();
    assertThat(DateText.parse("2012-02-29")).contains(LocalDate.of(2012, 2, 29));
    assertThat(DateText.parse("2013-2-3")).isEmpty();
    assertThat(DateText.parse("22/05/2013")).isEmpty();
    assertThat(DecimalText.parse("399,00", ',', 2)).contains(new BigDecimal("399.00"));
    assertThat(DecimalText.parse("12,5", ',', 2)).contains(new BigDecimal("12.50"));
    assertThat(DecimalText.parse("-7", ',', 2)).contains(new BigDecimal("-7.00"));
    assertThat(DecimalText.parse("1.5", '.', 2)).contains(new BigDecimal("1.50"));
    for (String bad : List.of("", "-", ",5", "5,", "1.399,00", "3,999", "1e3", "12,3a", "--1")) {
      assertThat(DecimalText.parse(bad, ',', 2)).as(bad).isEmpty();
    }
  }

  /**
   * The real purchase file, counted by an independent implementation of the same rules (a Python
   * script run once): 49,997 valid CPFs, one value in the CPF column that is a CNPJ, and 85,158
   * store CNPJs, all valid, beside 14,838 NULLs.
   */
  @Test
  void countsTheRealPurchaseFileAsAnIndependentImplementationDoes() throws IOException {
    List<String> lines =
        Files.readAllLines(Seeds.require("base_teste.txt"), StandardCharsets.UTF_8);
    int validCpfs = 0;
    int notCpfs = 0;
    int validStores = 0;
    int nulls = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] fields = line.trim().split("\\s+");
      assertThat(fields).hasSize(8);
      var cpf = Cpf.digits(fields[0]);
      if (cpf.isEmpty()) {
        notCpfs++;
      } else if (Cpf.valid(cpf.get())) {
        validCpfs++;
      }
      for (String store : List.of(fields[6], fields[7])) {
        if (store.equals("NULL")) {
          nulls++;
        } else if (Cnpj.characters(store).filter(Cnpj::valid).isPresent()) {
          validStores++;
        }
      }
    }
    assertThat(lines).hasSize(49_999);
    assertThat(validCpfs).isEqualTo(49_997);
    assertThat(notCpfs).isEqualTo(1);
    assertThat(validStores).isEqualTo(85_158);
    assertThat(nulls).isEqualTo(14_838);
  }
}
