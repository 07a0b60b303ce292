package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.HeraldException;
import dev.herald.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herald subscribe STREAM}: prints the stream's events live (server-sent events) and keeps
 * the last id printed in a cursor file, so a restarted subscriber resumes exactly after it; it
 * reconnects by itself when the connection drops.
 */
@Command(
    name = "subscribe",
    mixinStandardHelpOptions = true,
    description =
        "Print a stream's events as they are appended; resume after a restart from a cursor file.")
public final class SubscribeCommand implements Callable<Integer> {

  @Parameters(paramLabel = "STREAM", description = "The stream to follow.")
  String stream;

  @Option(
      names = "--after",
      description =
          "Where to start when there is no cursor file: earliest, latest (default) or an event id.")
  String after = "latest";

  @Option(
      names = "--cursor-file",
      description = "Where the last id received is kept (default: .herald-STREAM.cursor).")
  Path cursorFile;

  @Option(
      names = "--json",
      description = "Print each event as one JSON line {\"id\",\"time\",\"data\"}.")
  boolean json;

  @Option(
      names = "--server",
      description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
  String server = HeraldClient.defaultServer();

  @Override
  public Integer call() throws InterruptedException {
    Path cursorPath = cursorFile != null ? cursorFile : Path.of(".herald-" + stream + ".cursor");
    String cursor = readCursor(cursorPath);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI base = URI.create(server.endsWith("/") ? server : server + "/");
    long backoff = 250;
    while (true) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(
              base.resolve(
                  "api/streams/"
                      + HeraldClient.encode(stream)
                      + "/live"
                      + (cursor == null ? "?after=" + HeraldClient.encode(after) : "")));
      if (cursor != null) {
        request.header("Last-Event-ID", cursor);
      }
      HttpResponse<Stream<String>> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
      } catch (ConnectException e) {
        System.err.println("herald: cannot reach " + base + "; retrying");
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      } catch (IOException e) {
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      if (response.statusCode() != 200) {
        String body = String.join("\n", response.body().toList());
        String detail = body.isEmpty() ? "" : Json.parseTrusted(body).path("detail").asText(body);
        throw new HeraldException("server answered " + response.statusCode() + ": " + detail);
      }
      backoff = 250;
      String type = "message";
      try (Stream<String> lines = response.body()) {
        for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.startsWith("event: ")) {
            type = line.substring(7);
          } else if (line.startsWith("data: ")) {
            JsonNode data = Json.parseTrusted(line.substring(6));
            if (type.equals("message")) {
              System.out.println(
                  json
                      ? Json.write(data)
                      : data.path("id").asText()
                          + "  "
                          + data.path("time").asText()
                          + "  "
                          + Json.write(data.path("data")));
              cursor = data.path("id").asText();
              writeCursor(cursorPath, cursor);
            } else {
              System.err.println(
                  "herald: " + type + ": " + data.path("detail").asText(Json.write(data)));
            }
            type = "message";
          } else if (line.isEmpty()) {
            System.out.flush();
          }
        }
      } catch (UncheckedIOException e) {
        // the connection dropped: reconnect after the last id printed
      }
      System.err.println(
          "herald: connection to "
              + base
              + " closed; resuming after "
              + (cursor == null ? "the start" : cursor));
      Thread.sleep(backoff);
    }
  }

  private static String readCursor(Path file) {
    try {
      String text =
          Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
      return text.isEmpty() ? null : text;
    } catch (IOException e) {
      throw new HeraldException("cannot read the cursor file " + file + ": " + e.getMessage());
    }
  }

  private static void writeCursor(Path file, String cursor) {
    try {
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, cursor + "\n", StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new HeraldException("cannot write the cursor file " + file + ": " + e.getMessage());
    }
  }
}
