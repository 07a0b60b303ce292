package dev.herald.server.live;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.server.http.HttpJson;
import dev.herald.server.ops.DashboardRoutes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/** The chat page at {@code /chat} and the topics it offers at {@code /api/topics}. */
final class ChatRoutes implements HttpService {

  private final byte[] chat = DashboardRoutes.page("chat.html");
  private final List<String> topics;

  ChatRoutes(List<String> topics) {
    this.topics = List.copyOf(topics);
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/chat", (req, res) -> DashboardRoutes.html(res, chat))
        .get("/api/topics", this::topics);
  }

  private void topics(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    body.set("topics", Json.MAPPER.valueToTree(topics));
    HttpJson.send(res, 200, body);
  }
}
