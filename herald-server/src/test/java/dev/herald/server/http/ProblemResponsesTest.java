package dev.herald.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestHttp;
import dev.herald.server.TestHttp.Answer;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What an unexpected failure tells the client, and what it writes to the log. */
class ProblemResponsesTest {

  /** Fails the way a bug would, with internal text in its message and a deep stack. */
  private static void deepFailure(int depth) {
    if (depth == 0) {
      throw new IllegalStateException("cannot parse /var/lib/herald/data/herald.db row 7: corrupt");
    }
    deepFailure(depth - 1);
  }

  @Test
  void shouldAnswer500WithoutInternalTextAndLogOneLineWithTheErrorId() {
    WebServer web =
        WebServer.builder()
            .port(0)
            .routing(
                routing -> {
                  ProblemResponses.register(routing);
                  routing.get("/boom", (req, res) -> deepFailure(500));
                })
            .build()
            .start();
    PrintStream stderr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Answer answer;
    try {
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      answer = new TestHttp(web.port()).get("/boom");
    } finally {
      System.setErr(stderr);
      web.stop();
    }

    assertThat(answer.status()).isEqualTo(500);
    assertThat(answer.contentType()).isEqualTo("application/problem+json");
    String detail = answer.json().path("detail").asText();
    assertThat(detail)
        .startsWith(
            "Herald failed unexpectedly while serving this request; the server log has the details under error ")
        .doesNotContain("/var/lib")
        .doesNotContain("IllegalStateException");
    String id = detail.substring(detail.lastIndexOf(' ') + 1);
    String logged = log.toString(StandardCharsets.UTF_8);
    assertThat(logged.lines().filter(l -> l.contains("unexpected error")).toList())
        .singleElement()
        .asString()
        .contains(id)
        .contains("IllegalStateException")
        .contains("GET /boom");
    assertThat(logged.lines().count())
        .as("one line, not the 500-frame stack")
        .isLessThanOrEqualTo(3);
  }
}
