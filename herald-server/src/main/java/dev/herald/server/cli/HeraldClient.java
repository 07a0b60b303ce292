package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.HeraldException;
import dev.herald.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The CLI's HTTP client for a running Herald server. */
final class HeraldClient {

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  HeraldClient(String server) {
    this.base = URI.create(server.endsWith("/") ? server : server + "/");
  }

  static String defaultServer() {
    return System.getenv().getOrDefault("HERALD_URL", "http://localhost:8080");
  }

  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
  }

  JsonNode post(String path, String json) {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  JsonNode delete(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE().build());
  }

  static String encode(String pathSegment) {
    return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(HttpRequest request) {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new HeraldException(
          "cannot reach the Herald server at "
              + base
              + " (is `herald server` running? set --server or HERALD_URL)");
    } catch (IOException e) {
      throw new HeraldException("request to " + request.uri() + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HeraldException("interrupted");
    }
    JsonNode body = response.body().isEmpty() ? Json.object() : Json.parseTrusted(response.body());
    if (response.statusCode() / 100 != 2) {
      String detail = body.path("detail").asText(response.body());
      throw new HeraldException("server answered " + response.statusCode() + ": " + detail);
    }
    return body;
  }
}
