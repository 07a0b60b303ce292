package dev.herald.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Json's own writing of lone strings and integers gives Jackson's text exactly. */
class JsonTest {

  private static String jackson(Object value) throws Exception {
    return Json.MAPPER.writeValueAsString(value);
  }

  @Test
  void shouldQuoteEveryCharacterAsJacksonDoes() throws Exception {
    for (char c = 0; c < 0x3000; c++) {
      String text = "a" + c + "b" + c;
      assertEquals(
          jackson(TextNode.valueOf(text)), Json.write(TextNode.valueOf(text)), "char " + (int) c);
    }
    SplittableRandom random = new SplittableRandom(3);
    for (int n = 0; n < 20_000; n++) {
      char[] chars = new char[random.nextInt(12)];
      for (int i = 0; i < chars.length; i++) {
        chars[i] = (char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0x10000));
      }
      String text = new String(chars);
      assertEquals(jackson(TextNode.valueOf(text)), Json.write(TextNode.valueOf(text)));
    }
  }

  @Test
  void shouldWriteIntegersAndKeysAsJacksonDoes() throws Exception {
    for (long value :
        new long[] {
          0, -1, 10, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE
        }) {
      assertEquals(jackson(LongNode.valueOf(value)), Json.write(LongNode.valueOf(value)));
      assertEquals(LongNode.valueOf(value).toString(), Json.keyText(LongNode.valueOf(value)));
      if (value == (int) value) {
        assertEquals(
            jackson(IntNode.valueOf((int) value)), Json.write(IntNode.valueOf((int) value)));
        assertEquals(
            IntNode.valueOf((int) value).toString(), Json.keyText(IntNode.valueOf((int) value)));
      }
    }
    assertEquals("10", Json.keyText(TextNode.valueOf("10")));
    assertEquals("1.5", Json.keyText(DoubleNode.valueOf(1.5)));
    assertEquals(
        "123456789012345678901234567890",
        Json.keyText(BigIntegerNode.valueOf(new BigInteger("123456789012345678901234567890"))));
  }
}
