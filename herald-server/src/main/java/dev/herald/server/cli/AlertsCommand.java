package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herald alerts [--follow|--active]}: the alerts stream of a running server. */
@Command(
    name = "alerts",
    mixinStandardHelpOptions = true,
    description =
        "List alerts (raised and resolved); --active lists only the active ones; --follow prints new ones as they come.")
public final class AlertsCommand implements Callable<Integer> {

  @Option(
      names = {"-f", "--follow"},
      description = "Keep running and print new alerts as they are raised or resolved.")
  boolean follow;

  @Option(names = "--active", description = "Only alerts active now.")
  boolean active;

  @Option(names = "--json", description = "Print each alert as one JSON line.")
  boolean json;

  @Option(
      names = "--server",
      description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
  String server = HeraldClient.defaultServer();

  @Override
  public Integer call() throws InterruptedException {
    HeraldClient client = new HeraldClient(server);
    if (active) {
      for (JsonNode alert : client.get("api/alerts?active=true").path("alerts")) {
        System.out.println(json ? Json.write(alert) : line(alert));
      }
      return 0;
    }
    String cursor = "";
    while (true) {
      JsonNode page =
          client.get(
              "api/alerts?limit=1000"
                  + (cursor.isEmpty() ? "" : "&after=" + HeraldClient.encode(cursor)));
      for (JsonNode alert : page.path("alerts")) {
        System.out.println(json ? Json.write(alert) : line(alert));
      }
      cursor = page.path("next").asText(cursor);
      if (page.path("alerts").size() < 1000) {
        if (!follow) {
          return 0;
        }
        System.out.flush();
        Thread.sleep(250);
      }
    }
  }

  static String line(JsonNode alert) {
    boolean resolved = alert.hasNonNull("resolvedAt");
    return (resolved
            ? alert.path("resolvedAt").asText() + "  RESOLVED "
            : alert.path("raisedAt").asText() + "  RAISED   ")
        + alert.path("type").asText()
        + "  "
        + alert.path("subject").asText()
        + "  "
        + alert.path("detail").asText();
  }
}
