package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * The pages: the dashboard at {@code /}, the chat at {@code /chat}, and the topics the chat offers.
 */
public final class WebRoutes implements HttpService {

  private final byte[] dashboard = page("dashboard.html");
  private final byte[] chat = page("chat.html");
  private final List<String> topics;

  public WebRoutes(List<String> topics) {
    this.topics = List.copyOf(topics);
  }

  private static byte[] page(String name) {
    try (InputStream in = WebRoutes.class.getResourceAsStream("/dev/herald/server/web/" + name)) {
      return Objects.requireNonNull(in, name).readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/", (req, res) -> html(res, dashboard))
        .get("/chat", (req, res) -> html(res, chat))
        .get("/api/topics", this::topics);
  }

  private static void html(ServerResponse res, byte[] page) {
    res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    res.send(page);
  }

  private void topics(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    body.set("topics", Json.MAPPER.valueToTree(topics));
    HttpJson.send(res, 200, body);
  }
}
