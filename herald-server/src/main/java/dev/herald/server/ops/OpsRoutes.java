package dev.herald.server.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.agent.AgentHealth;
import dev.herald.json.Json;
import dev.herald.server.http.HttpJson;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.store.Backend;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** {@code /health/live}, {@code /health/ready} and {@code /metrics}. */
public final class OpsRoutes implements HttpService {

  private final Backend backend;
  private final HeraldMetrics metrics;
  private final BooleanSupplier listening;
  private final Supplier<List<AgentHealth>> agents;

  /**
   * @param listening whether the HTTP listener accepts connections (backs {@code /health/live})
   * @param agents how the background agents are doing (a stopped or failing one makes the server
   *     not ready)
   */
  public OpsRoutes(
      Backend backend,
      HeraldMetrics metrics,
      BooleanSupplier listening,
      Supplier<List<AgentHealth>> agents) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.listening = Objects.requireNonNull(listening, "listening");
    this.agents = Objects.requireNonNull(agents, "agents");
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/health/live", this::live)
        .get("/health/ready", this::ready)
        .get("/metrics", this::metrics);
  }

  private void live(ServerRequest req, ServerResponse res) {
    boolean up = listening.getAsBoolean();
    ObjectNode body = Json.object();
    body.put("status", up ? "UP" : "DOWN");
    if (!up) {
      body.put(
          "detail", "the HTTP listener stopped accepting connections; it is being started again");
    }
    HttpJson.send(res, up ? 200 : 503, body);
  }

  private void ready(ServerRequest req, ServerResponse res) {
    boolean storeReady = backend.ready();
    List<AgentHealth> unhealthy = agents.get().stream().filter(AgentHealth::unhealthy).toList();
    boolean ready = storeReady && unhealthy.isEmpty();
    ObjectNode body = Json.object();
    body.put("status", ready ? "UP" : "DOWN");
    body.put("store", backend.describe());
    body.put("storeReady", storeReady);
    ArrayNode failing = body.putArray("unhealthyAgents");
    for (AgentHealth agent : unhealthy) {
      ObjectNode json = failing.addObject();
      json.put("agent", agent.role());
      json.put("stopped", agent.stopped());
      json.put("failingFor", agent.failingFor().toString());
      json.put("failures", agent.failures());
      agent.lastFailure().ifPresent(f -> json.put("lastFailure", Redaction.redact(f)));
    }
    HttpJson.send(res, ready ? 200 : 503, body);
  }

  private void metrics(ServerRequest req, ServerResponse res) {
    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
  }
}
