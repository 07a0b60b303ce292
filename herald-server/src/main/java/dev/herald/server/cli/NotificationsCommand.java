package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald notifications [--follow]}: lists notifications, or prints each as it is emitted.
 */
@Command(
    name = "notifications",
    mixinStandardHelpOptions = true,
    description = "List notifications; with --follow, print each new one as it is emitted.")
public final class NotificationsCommand implements Callable<Integer> {

  @Option(
      names = {"-f", "--follow"},
      description = "Keep running and print new notifications as they are emitted.")
  boolean follow;

  @Option(names = "--rule", description = "Only this digest rule's.")
  String rule;

  @Option(names = "--recipient", description = "Only this recipient's.")
  String recipient;

  @Option(names = "--json", description = "Print each notification as one JSON line.")
  boolean json;

  @Option(
      names = "--server",
      description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
  String server = HeraldClient.defaultServer();

  @Override
  public Integer call() throws InterruptedException {
    HeraldClient client = new HeraldClient(server);
    String cursor = "";
    boolean print = !follow;
    while (true) {
      JsonNode page =
          client.get(
              "api/notifications?limit=1000"
                  + filters()
                  + (cursor.isEmpty() ? "" : "&after=" + cursor));
      for (JsonNode n : page.path("notifications")) {
        if (print) {
          System.out.println(json ? Json.write(n) : line(n));
        }
      }
      String next = page.path("next").asText("");
      boolean caughtUp = page.path("notifications").size() < 1000;
      if (!next.isEmpty()) {
        cursor = next;
      }
      if (caughtUp) {
        if (!follow) {
          return 0;
        }
        if (!print) {
          // on stderr, so that what goes to stdout stays notifications only
          System.err.println(
              "herald: following new notifications of " + server + " (Ctrl-C to stop)");
        }
        print = true;
        System.out.flush();
        Thread.sleep(250);
      }
    }
  }

  private String filters() {
    StringBuilder query = new StringBuilder();
    if (rule != null) {
      query.append("&rule=").append(URLEncoder.encode(rule, StandardCharsets.UTF_8));
    }
    if (recipient != null) {
      query.append("&recipient=").append(URLEncoder.encode(recipient, StandardCharsets.UTF_8));
    }
    return query.toString();
  }

  static String line(JsonNode n) {
    List<String> items = new ArrayList<>();
    n.path("items").forEach(i -> items.add(i.isTextual() ? i.asText() : Json.write(i)));
    return n.path("createdAt").asText()
        + "  "
        + n.path("rule").asText()
        + " -> "
        + n.path("recipient").asText()
        + "  ("
        + items.size()
        + " items, due "
        + n.path("dueAt").asText()
        + ")  "
        + String.join(", ", items);
  }
}
