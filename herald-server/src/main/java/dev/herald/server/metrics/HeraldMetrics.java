package dev.herald.server.metrics;

import dev.herald.agent.AgentHealth;
import dev.herald.log.Event;
import dev.herald.process.FailurePolicy;
import dev.herald.server.listener.HttpListener;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * What {@code /metrics} shows: the metrics every job shares (appends, retries and dead letters of
 * every consumer, the background agents, the HTTP listener, the heap), then each job's own, written
 * in the Prometheus text format by {@link #scrape()}.
 *
 * <p>Thread-safe.
 */
public final class HeraldMetrics implements FailurePolicy.FailureListener {

  private final LabelledCounter appended = new LabelledCounter();
  private final LabelledCounter retried = new LabelledCounter();
  private final LabelledCounter deadLettered = new LabelledCounter();
  private final List<MetricsSource> sources = new CopyOnWriteArrayList<>();
  private volatile HttpListener listener;
  private volatile Supplier<List<AgentHealth>> agents = List::of;

  public void onAppended(String stream, int events) {
    appended.add(stream, events);
  }

  @Override
  public void onRetry(
      String group, Event event, int attempt, Duration delay, RuntimeException cause) {
    retried.increment(group);
  }

  @Override
  public void onDeadLettered(
      String group, Event event, String reason, int attempts, String deadLetterStream) {
    deadLettered.increment(group);
  }

  /** Adds a job's metrics, read at each scrape after the shared ones. */
  public void include(MetricsSource source) {
    sources.add(source);
  }

  /** Adds each background agent's failure counter and up gauge. */
  public void watchAgents(Supplier<List<AgentHealth>> agents) {
    this.agents = agents;
  }

  /** Adds the HTTP listener's connection gauges and counters. */
  public void watchListener(HttpListener listener) {
    this.listener = listener;
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    MetricsText out = new MetricsText();
    out.counter("herald_events_appended_total", "Events appended, by stream.", "stream", appended)
        .counter(
            "herald_events_retried_total",
            "Failed tries of an event that a consumer tries again after a backoff, by consumer.",
            "consumer",
            retried)
        .counter(
            "herald_events_dead_lettered_total",
            "Events a consumer gave up and put in its dead-letter stream, by consumer.",
            "consumer",
            deadLettered);
    listenerMetrics(out);
    agentMetrics(out);
    out.gauge(
        "herald_jvm_heap_used_bytes",
        "Heap in use.",
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    sources.forEach(source -> source.writeTo(out));
    return out.toString();
  }

  private void listenerMetrics(MetricsText out) {
    HttpListener http = listener;
    if (http == null) {
      return;
    }
    out.gauge(
            "herald_http_connections_open",
            "Open HTTP connections, those being refused included.",
            http.openConnections())
        .gauge(
            "herald_http_connections_max",
            "The most HTTP connections served at once (server.maxConnections).",
            http.maxConnections())
        .gauge(
            "herald_http_listening",
            "1 while the HTTP listener accepts connections, as last probed.",
            http.listening() ? 1 : 0)
        .counter(
            "herald_http_connections_refused_total",
            "Connections refused past server.maxConnections.",
            http.refusedConnections())
        .counter(
            "herald_http_header_timeouts_total",
            "Connections ended because their headers came slower than server.headerTimeout.",
            http.headerTimeouts())
        .counter(
            "herald_http_listener_restarts_total",
            "Times the HTTP listener was started again after it stopped accepting.",
            http.restarts());
  }

  private void agentMetrics(MetricsText out) {
    Map<String, Long> failures = new LinkedHashMap<>();
    Map<String, Integer> up = new LinkedHashMap<>();
    for (AgentHealth agent : agents.get()) {
      failures.put(agent.role(), agent.failures());
      up.put(agent.role(), agent.unhealthy() ? 0 : 1);
    }
    out.counter(
            "herald_agent_errors_total",
            "Failed work calls of each background agent.",
            "agent",
            failures)
        .gauge(
            "herald_agent_up",
            "1 while the agent runs and has not failed without a success for 10 s; 0 turns"
                + " /health/ready down.",
            "agent",
            up);
  }
}
