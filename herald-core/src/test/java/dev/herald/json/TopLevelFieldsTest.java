package dev.herald.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopLevelFieldsTest {

  private static final String[] NAMES = {"recipient", "review_id", "source_event"};

  @Test
  void readsStringsAndIntegersAndLeavesTheRestToTheTree() {
    boolean[] strings = new boolean[3];
    assertThat(
            TopLevelFields.read(
                "{\"a\":{\"recipient\":\"x\"},\"recipient\":\"1\",\"review_id\":-42,\"b\":[1,{\"c\":\"}\"}]}",
                NAMES,
                strings))
        .containsExactly("1", "-42", null);
    assertThat(strings).containsExactly(true, false, false);
    assertThat(TopLevelFields.read("{\"recipient\":\"a\\\"b\\u00e9\\n\"}", NAMES, strings))
        .containsExactly("a\"bé\n", null, null);
    assertThat(TopLevelFields.read("{}", NAMES, strings)).containsExactly(null, null, null);
    assertThat(TopLevelFields.read("{\"recipient\":\"1\",\"recipient\":\"2\"}", NAMES, strings))
        .as("the last wins, as in the tree")
        .containsExactly("2", null, null);

    assertThat(TopLevelFields.read("{\"recipient\":1.5}", NAMES, strings)).isNull();
    assertThat(TopLevelFields.read("{\"recipient\":true}", NAMES, strings)).isNull();
    assertThat(TopLevelFields.read("{\"recipient\":null}", NAMES, strings)).isNull();
    assertThat(TopLevelFields.read("{\"recipient\":[1]}", NAMES, strings)).isNull();
    assertThat(TopLevelFields.read("{\"recipient\":12345678901234567890}", NAMES, strings))
        .isNull();
    assertThat(TopLevelFields.read("[1]", NAMES, strings)).isNull();
    assertThat(TopLevelFields.read("{\"recipient\":\"1\"", NAMES, strings)).isNull();
  }

  /**
   * Random objects, compact and pretty: wherever the reader answers, it agrees with Jackson's tree.
   */
  @Test
  void agreesWithTheTreeOnRandomObjects() throws Exception {
    Random random = new Random(3);
    int answered = 0;
    for (int n = 0; n < 20_000; n++) {
      ObjectNode object = randomObject(random, 0);
      String text =
          random.nextBoolean()
              ? Json.write(object)
              : Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(object);
      boolean[] strings = new boolean[3];
      String[] values = TopLevelFields.read(text, NAMES, strings);
      ObjectNode tree = Json.parseTrustedObject(text);
      boolean simple = true;
      for (String name : NAMES) {
        JsonNode v = tree.get(name);
        simple &= v == null || v.isTextual() || v.isInt() || v.isLong();
      }
      if (simple) {
        assertThat(values).as(text).isNotNull();
      }
      if (values == null) {
        continue;
      }
      answered++;
      for (int i = 0; i < NAMES.length; i++) {
        JsonNode v = tree.get(NAMES[i]);
        assertThat(values[i]).as(text).isEqualTo(v == null ? null : Json.keyText(v));
        if (v != null) {
          assertThat(strings[i]).as(text).isEqualTo(v.isTextual());
        }
      }
    }
    assertThat(answered).isGreaterThan(5_000);
  }

  private static ObjectNode randomObject(Random random, int depth) {
    ObjectNode object = Json.object();
    int fields = random.nextInt(depth == 0 ? 8 : 3);
    for (int i = 0; i < fields; i++) {
      String name = random.nextInt(3) == 0 ? NAMES[random.nextInt(3)] : randomText(random);
      object.set(name, randomValue(random, depth));
    }
    return object;
  }

  private static JsonNode randomValue(Random random, int depth) {
    return switch (random.nextInt(depth < 2 ? 10 : 8)) {
      case 0, 1, 2 -> Json.MAPPER.getNodeFactory().textNode(randomText(random));
      case 3 -> Json.MAPPER.getNodeFactory().numberNode(random.nextInt() >> random.nextInt(31));
      case 4 -> Json.MAPPER.getNodeFactory().numberNode(random.nextLong());
      case 5 ->
          random.nextBoolean()
              ? Json.MAPPER.getNodeFactory().numberNode(random.nextDouble() * 1000)
              : Json.MAPPER
                  .getNodeFactory()
                  .numberNode(BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.TEN));
      case 6 -> Json.MAPPER.getNodeFactory().booleanNode(random.nextBoolean());
      case 7 -> Json.MAPPER.getNodeFactory().nullNode();
      case 8 -> randomObject(random, depth + 1);
      default -> {
        ArrayNode array = Json.array();
        for (int i = random.nextInt(3); i > 0; i--) {
          array.add(randomValue(random, depth + 1));
        }
        yield array;
      }
    };
  }

  private static String randomText(Random random) {
    String alphabet = "ab1 \"\\/{}[],:\n\té✓\u0001";
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(8); i > 0; i--) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }
}
