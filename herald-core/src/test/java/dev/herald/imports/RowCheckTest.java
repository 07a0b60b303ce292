package dev.herald.imports;

import static dev.herald.imports.ColumnType.BOOLEAN;
import static dev.herald.imports.ColumnType.CNPJ;
import static dev.herald.imports.ColumnType.CPF;
import static dev.herald.imports.ColumnType.DATE;
import static dev.herald.imports.ColumnType.DECIMAL;
import static dev.herald.imports.ColumnType.INTEGER;
import static dev.herald.imports.ColumnType.TEXT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.Seeds;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowCheckTest {

  /** The columns of the purchase file, flagging CPFs and store CNPJs as the shipped importer. */
  private static final List<ImportColumn> PURCHASES =
      List.of(
          ImportColumn.of("cpf", CPF).flagging(),
          ImportColumn.of("private", BOOLEAN),
          ImportColumn.of("incomplete", BOOLEAN),
          ImportColumn.of("last_purchase_date", DATE),
          ImportColumn.of("average_ticket", DECIMAL),
          ImportColumn.of("last_ticket", DECIMAL),
          ImportColumn.of("most_frequent_store", CNPJ).flagging(),
          ImportColumn.of("last_store", CNPJ).flagging());

  private final RowCheck purchases = new RowCheck(PURCHASES, "NULL");
  private final LineFormat whitespace = new LineFormat.Whitespace();

  private RowCheck.Outcome check(String line) {
    return purchases.check(whitespace.split(line).values());
  }

  @Test
  void storesTypedSanitisedValuesAndFlagsWhatTheColumnFlags() {
    RowCheck.Outcome ok =
        check("990.999.999-66 0 1 2013-05-22 399,00 12,5 79.379.491/0008-50 12.abc.345/01de-35");
    assertThat(ok.reject()).isEmpty();
    assertThat(ok.row().orElseThrow().values())
        .containsExactly(
            "99099999966",
            false,
            true,
            LocalDate.of(2013, 5, 22),
            new BigDecimal("399.00"),
            new BigDecimal("12.50"),
            "79379491000850",
            "12ABC34501DE35");
    RowCheck.Outcome badCpf = check("041.091.641-26 0 0 NULL NULL NULL NULL NULL");
    assertThat(badCpf.row().orElseThrow().values().getFirst()).isEqualTo("04109164126");
    assertThat(badCpf.row().orElseThrow().flagged()).isTrue();
    assertThat(badCpf.flaggedReasons()).containsExactly("invalid_cpf:cpf");
    assertThat(badCpf.row().orElseThrow().values().subList(3, 8)).containsOnlyNulls();
  }

  @Test
  void rejectsTheRowForAWrongCountANullWhereNoneMayBeOrAnInvalidRejectingColumn() {
    assertThat(check("041.091.641-25 0 0 NULL NULL NULL NULL").reject().orElseThrow().reason())
        .isEqualTo("wrong_columns");
    RowCheck.Reject date =
        check("041.091.641-25 0 0 2013-02-30 NULL NULL NULL NULL").reject().get();
    assertThat(date)
        .isEqualTo(new RowCheck.Reject("invalid_date", "last_purchase_date", "2013-02-30"));
    assertThat(check("041.091.641-25 0 0 NULL 1.399,00 NULL NULL NULL").reject().get().reason())
        .isEqualTo("invalid_decimal");
    assertThat(check("041.091.641-25 2 0 NULL NULL NULL NULL NULL").reject().get().reason())
        .isEqualTo("invalid_boolean");
    RowCheck strict =
        new RowCheck(
            List.of(
                new ImportColumn(
                    "id", INTEGER, ImportColumn.OnInvalid.REJECT, false, ',', 2, false),
                new ImportColumn("name", TEXT, ImportColumn.OnInvalid.REJECT, true, ',', 2, true)),
            "NULL");
    assertThat(strict.check(List.of("NULL", "x")).reject().get().reason())
        .isEqualTo("missing_value");
    assertThat(strict.check(List.of("12x", "x")).reject().get().reason())
        .isEqualTo("invalid_integer");
    assertThat(strict.check(List.of("7", "  São João ")).row().get().values())
        .containsExactly(7L, "SAO JOAO");
  }

  /** Every row of the real file is kept; its one CPF that is a CNPJ is flagged. */
  @Test
  void keepsEveryRowOfTheRealFileAndFlagsItsOneBadCpf() throws IOException {
    int kept = 0;
    Map<String, Integer> flagged = new HashMap<>();
    try (InputStream in = Files.newInputStream(Seeds.require("base_teste.txt"))) {
      LineReader reader = new LineReader(in);
      reader.next(); // the header
      for (String line; (line = reader.next()) != null; ) {
        RowCheck.Outcome outcome = check(line);
        assertThat(outcome.reject()).as("line %d", reader.lineNumber()).isEmpty();
        kept++;
        outcome.flaggedReasons().forEach(r -> flagged.merge(r, 1, Integer::sum));
      }
    }
    assertThat(kept).isEqualTo(49_998);
    assertThat(flagged).isEqualTo(Map.of("invalid_cpf:cpf", 1));
  }
}
