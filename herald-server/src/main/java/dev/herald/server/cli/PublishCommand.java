package dev.herald.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.HeraldException;
import dev.herald.json.Json;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald publish STREAM k=v k:=json ...}: appends one event, HTTPie style. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = "Append one event to a stream. k=v sets a string field, k:=v a raw JSON value.")
public final class PublishCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "The stream, e.g. scans.")
  String stream;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      description = "Fields: name=text or name:=json (e.g. count:=3).")
  List<String> fields;

  @Option(
      names = "--server",
      description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
  String server = HeraldClient.defaultServer();

  @Override
  public Integer call() {
    ObjectNode event = event(fields);
    JsonNode answer =
        new HeraldClient(server).post("api/streams/" + stream + "/events", Json.write(event));
    System.out.println(answer.path("ids").path(0).asText());
    return 0;
  }

  static ObjectNode event(List<String> fields) {
    ObjectNode event = Json.object();
    for (String field : fields) {
      int raw = field.indexOf(":=");
      int text = field.indexOf('=');
      if (raw > 0 && raw < text) {
        String value = field.substring(raw + 2);
        try {
          event.set(field.substring(0, raw), Json.MAPPER.readTree(value));
        } catch (JsonProcessingException e) {
          throw new HeraldException(
              "field '"
                  + field
                  + "': the value after := must be JSON, e.g. count:=3 or tags:='[\"a\"]'");
        }
      } else if (text > 0) {
        event.put(field.substring(0, text), field.substring(text + 1));
      } else {
        throw new HeraldException("field '" + field + "' must be name=text or name:=json");
      }
    }
    return event;
  }
}
