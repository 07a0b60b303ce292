package dev.herald.server.metrics;

import dev.herald.agent.AgentHealth;
import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxEngine;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import dev.herald.notify.DeliveryListener;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.Notification;
import dev.herald.process.FailurePolicy;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.server.listener.HttpListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Herald's counters, gauges and the notification lateness histogram, written in the Prometheus text
 * format by {@link #scrape()}. Counters are {@link LongAdder}s so the hot paths never contend;
 * gauges are read from the store at scrape time.
 *
 * <p>Thread-safe.
 */
public final class HeraldMetrics
    implements DigestListener,
        DeliveryListener,
        RouteListener,
        InboxEngine.Listener,
        FailurePolicy.FailureListener {

  private static final double[] LATENESS_BOUNDS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private final Map<String, LongAdder> appended = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> ingested = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> emitted = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> delivered = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> deliveryFailures = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> givenUp = new ConcurrentHashMap<>();
  private final LongAdder[] latenessBuckets = new LongAdder[LATENESS_BOUNDS.length + 1];
  private final LongAdder latenessCount = new LongAdder();
  private final java.util.concurrent.atomic.DoubleAdder latenessSum =
      new java.util.concurrent.atomic.DoubleAdder();
  private final Map<String, LongAdder> routed = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> routedDeliveries = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> unroutable = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> inboxEvents = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> inboxDuplicates = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> retried = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> deadLettered = new ConcurrentHashMap<>();
  private final List<DigestRule> rules;
  private final DigestStore store;
  private volatile List<InboxRule> inboxRules = List.of();
  private volatile InboxStore inboxStore;
  private volatile IntSupplier activeAlerts = () -> 0;
  private volatile LongSupplier monitorCheckNanos = () -> 0;

  public HeraldMetrics(List<DigestRule> rules, DigestStore store) {
    this.rules = List.copyOf(rules);
    this.store = store;
    for (int i = 0; i < latenessBuckets.length; i++) {
      latenessBuckets[i] = new LongAdder();
    }
  }

  private static void add(Map<String, LongAdder> counters, String label, long n) {
    counters.computeIfAbsent(label, l -> new LongAdder()).add(n);
  }

  public void onAppended(String stream, int events) {
    add(appended, stream, events);
  }

  @Override
  public void onIngested(DigestRule rule, int events) {
    add(ingested, rule.name(), events);
  }

  @Override
  public void onNotification(Notification notification) {
    add(emitted, notification.rule(), 1);
    if (notification.createdAt().isBefore(notification.dueAt())) {
      return; // flushed before it was due: not late
    }
    double seconds =
        Math.max(
            0, Duration.between(notification.dueAt(), notification.createdAt()).toNanos() / 1e9);
    int bucket = 0;
    while (bucket < LATENESS_BOUNDS.length && seconds > LATENESS_BOUNDS[bucket]) {
      bucket++;
    }
    latenessBuckets[bucket].increment();
    latenessCount.increment();
    latenessSum.add(seconds);
  }

  @Override
  public void onRejected(DigestRule rule, Event event, InvalidEventException reason) {
    add(rejected, rule.name(), 1); // the stream processor logs it as it writes the dead letter
  }

  @Override
  public void onRetry(
      String group, Event event, int attempt, Duration delay, RuntimeException cause) {
    add(retried, group, 1);
  }

  @Override
  public void onDeadLettered(
      String group, Event event, String reason, int attempts, String deadLetterStream) {
    add(deadLettered, group, 1);
  }

  @Override
  public void onOutcome(DeliveryOutcome outcome) {
    String sink = outcome.task().sink();
    if (outcome.succeeded()) {
      add(delivered, sink, 1);
    } else {
      add(deliveryFailures, sink, 1);
      if (outcome.gaveUp()) {
        add(givenUp, sink, 1);
      }
    }
  }

  private volatile IntSupplier liveSubscribers = () -> 0;
  private volatile LongSupplier tooSlowSubscribers = () -> 0;

  /**
   * Adds the gauge of open live subscriptions (SSE and WebSocket) and the count of those dropped
   * for lag.
   */
  public void watchSubscribers(IntSupplier subscribers, LongSupplier tooSlow) {
    this.liveSubscribers = subscribers;
    this.tooSlowSubscribers = tooSlow;
  }

  private volatile HttpListener listener;
  private volatile java.util.function.Supplier<List<AgentHealth>> agents = List::of;

  /** Adds each background agent's failure counter and up gauge. */
  public void watchAgents(java.util.function.Supplier<List<AgentHealth>> agents) {
    this.agents = agents;
  }

  /** Adds the HTTP listener's connection gauges and counters. */
  public void watchListener(HttpListener listener) {
    this.listener = listener;
  }

  /** Adds the inbox gauges, read from {@code store} at scrape time. */
  public void watchInboxes(
      List<InboxRule> rules,
      InboxStore store,
      IntSupplier activeAlerts,
      LongSupplier monitorCheckNanos) {
    this.inboxRules = List.copyOf(rules);
    this.inboxStore = store;
    this.activeAlerts = activeAlerts;
    this.monitorCheckNanos = monitorCheckNanos;
  }

  @Override
  public void onRouted(RouteRule rule, int count, int deliveries) {
    add(routed, rule.name(), count);
    add(routedDeliveries, rule.name(), deliveries);
  }

  @Override
  public void onInvalid(RouteRule rule, Event event, String reason, String invalidId) {
    add(unroutable, rule.name(), 1);
  }

  @Override
  public void onDelivered(InboxRule rule, int events, int added) {
    add(inboxEvents, rule.name(), added);
    add(inboxDuplicates, rule.name(), events - added);
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    counter(out, "herald_events_appended_total", "Events appended, by stream.", "stream", appended);
    counter(
        out,
        "herald_events_digested_total",
        "Events applied to digest buckets and acknowledged, by rule.",
        "rule",
        ingested);
    counter(
        out,
        "herald_notifications_emitted_total",
        "Notifications emitted (buckets closed), by rule.",
        "rule",
        emitted);
    counter(
        out,
        "herald_events_rejected_total",
        "Events a digest rule could not use, put in its dead-letter stream, by rule.",
        "rule",
        rejected);
    counter(
        out,
        "herald_events_retried_total",
        "Failed tries of an event that a consumer tries again after a backoff, by consumer.",
        "consumer",
        retried);
    counter(
        out,
        "herald_events_dead_lettered_total",
        "Events a consumer gave up and put in its dead-letter stream, by consumer.",
        "consumer",
        deadLettered);
    counter(out, "herald_deliveries_total", "Successful deliveries, by sink.", "sink", delivered);
    counter(
        out,
        "herald_delivery_failures_total",
        "Failed delivery attempts, by sink.",
        "sink",
        deliveryFailures);
    counter(
        out,
        "herald_deliveries_given_up_total",
        "Deliveries abandoned after the last retry, by sink.",
        "sink",
        givenUp);
    counter(
        out,
        "herald_route_events_total",
        "Events routed to at least one recipient, by route.",
        "route",
        routed);
    counter(
        out,
        "herald_route_deliveries_total",
        "Recipient events written by routes, by route.",
        "route",
        routedDeliveries);
    counter(
        out,
        "herald_route_invalid_total",
        "Events a route could not route (written to its invalid stream), by route.",
        "route",
        unroutable);
    counter(
        out,
        "herald_inbox_events_total",
        "Events added to inboxes, by inbox.",
        "inbox",
        inboxEvents);
    counter(
        out,
        "herald_inbox_duplicates_total",
        "Redelivered or re-routed events skipped by inboxes, by inbox.",
        "inbox",
        inboxDuplicates);
    inboxGauges(out);
    out.append(
            "# HELP herald_live_subscribers Open live subscriptions (SSE and WebSocket).\n# TYPE herald_live_subscribers gauge\n")
        .append("herald_live_subscribers ")
        .append(liveSubscribers.getAsInt())
        .append('\n');
    single(
        out,
        "herald_live_too_slow_total",
        "Live subscriptions ended for falling more than live.maxLag events behind.",
        tooSlowSubscribers.getAsLong());
    listenerMetrics(out);
    agentMetrics(out);
    java.lang.management.MemoryUsage heap =
        java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    out.append(
            "# HELP herald_jvm_heap_used_bytes Heap in use.\n# TYPE herald_jvm_heap_used_bytes gauge\n")
        .append("herald_jvm_heap_used_bytes ")
        .append(heap.getUsed())
        .append('\n');
    out.append(
        "# HELP herald_buckets_open Open digest buckets, by rule.\n# TYPE herald_buckets_open gauge\n");
    for (DigestRule rule : rules) {
      out.append("herald_buckets_open{rule=\"")
          .append(escape(rule.name()))
          .append("\"} ")
          .append(store.openBucketCount(rule.name()))
          .append('\n');
    }
    out.append("# HELP herald_notification_lateness_seconds Emission time minus due time.\n")
        .append("# TYPE herald_notification_lateness_seconds histogram\n");
    long cumulative = 0;
    for (int i = 0; i < LATENESS_BOUNDS.length; i++) {
      cumulative += latenessBuckets[i].sum();
      out.append("herald_notification_lateness_seconds_bucket{le=\"")
          .append(LATENESS_BOUNDS[i])
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    cumulative += latenessBuckets[LATENESS_BOUNDS.length].sum();
    out.append("herald_notification_lateness_seconds_bucket{le=\"+Inf\"} ")
        .append(cumulative)
        .append('\n');
    out.append("herald_notification_lateness_seconds_sum ").append(latenessSum.sum()).append('\n');
    out.append("herald_notification_lateness_seconds_count ")
        .append(latenessCount.sum())
        .append('\n');
    return out.toString();
  }

  private void listenerMetrics(StringBuilder out) {
    HttpListener http = listener;
    if (http == null) {
      return;
    }
    gauge(
        out,
        "herald_http_connections_open",
        "Open HTTP connections, those being refused included.",
        http.openConnections());
    gauge(
        out,
        "herald_http_connections_max",
        "The most HTTP connections served at once (server.maxConnections).",
        http.maxConnections());
    gauge(
        out,
        "herald_http_listening",
        "1 while the HTTP listener accepts connections, as last probed.",
        http.listening() ? 1 : 0);
    single(
        out,
        "herald_http_connections_refused_total",
        "Connections refused past server.maxConnections.",
        http.refusedConnections());
    single(
        out,
        "herald_http_header_timeouts_total",
        "Connections ended because their headers came slower than server.headerTimeout.",
        http.headerTimeouts());
    single(
        out,
        "herald_http_listener_restarts_total",
        "Times the HTTP listener was started again after it stopped accepting.",
        http.restarts());
  }

  private void agentMetrics(StringBuilder out) {
    List<AgentHealth> all = agents.get();
    StringBuilder failures =
        new StringBuilder(
            "# HELP herald_agent_errors_total Failed work calls of each background agent.\n"
                + "# TYPE herald_agent_errors_total counter\n");
    StringBuilder up =
        new StringBuilder(
            "# HELP herald_agent_up 1 while the agent runs and has not failed without a success for "
                + "10 s; 0 turns /health/ready down.\n# TYPE herald_agent_up gauge\n");
    for (AgentHealth agent : all) {
      String label = "{agent=\"" + escape(agent.role()) + "\"} ";
      failures
          .append("herald_agent_errors_total")
          .append(label)
          .append(agent.failures())
          .append('\n');
      up.append("herald_agent_up").append(label).append(agent.unhealthy() ? 0 : 1).append('\n');
    }
    out.append(failures).append(up);
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append("\n# TYPE ")
        .append(name)
        .append(" gauge\n")
        .append(name)
        .append(' ')
        .append(value)
        .append('\n');
  }

  private static void single(StringBuilder out, String name, String help, long value) {
    out.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append("\n# TYPE ")
        .append(name)
        .append(" counter\n")
        .append(name)
        .append(' ')
        .append(value)
        .append('\n');
  }

  private void inboxGauges(StringBuilder out) {
    InboxStore inboxes = inboxStore;
    if (inboxes == null || inboxRules.isEmpty()) {
      return;
    }
    StringBuilder count =
        new StringBuilder(
            "# HELP herald_inboxes Inboxes with pending items, by inbox.\n# TYPE herald_inboxes gauge\n");
    StringBuilder pending =
        new StringBuilder(
            "# HELP herald_inbox_pending_items Pending items, by inbox.\n# TYPE herald_inbox_pending_items gauge\n");
    StringBuilder reserved =
        new StringBuilder(
            "# HELP herald_inbox_reserved_items Items pulled and not acknowledged yet, by inbox.\n"
                + "# TYPE herald_inbox_reserved_items gauge\n");
    StringBuilder oldest =
        new StringBuilder(
            "# HELP herald_inbox_oldest_pending_seconds Age of the oldest pending item, by inbox (0 when none).\n"
                + "# TYPE herald_inbox_oldest_pending_seconds gauge\n");
    java.time.Instant now = java.time.Instant.now();
    for (InboxRule rule : inboxRules) {
      InboxStats stats = inboxes.stats(rule.name());
      String label = "{inbox=\"" + escape(rule.name()) + "\"} ";
      count.append("herald_inboxes").append(label).append(stats.inboxes()).append('\n');
      pending
          .append("herald_inbox_pending_items")
          .append(label)
          .append(stats.pendingItems())
          .append('\n');
      reserved
          .append("herald_inbox_reserved_items")
          .append(label)
          .append(stats.reservedItems())
          .append('\n');
      double age =
          stats
              .oldestPendingAt()
              .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0))
              .orElse(0.0);
      oldest.append("herald_inbox_oldest_pending_seconds").append(label).append(age).append('\n');
    }
    out.append(count).append(pending).append(reserved).append(oldest);
    out.append(
            "# HELP herald_alerts_active Active alerts (stale inboxes).\n# TYPE herald_alerts_active gauge\nherald_alerts_active ")
        .append(activeAlerts.getAsInt())
        .append('\n');
    out.append(
            "# HELP herald_inbox_monitor_check_seconds Duration of the last stale-inbox check.\n"
                + "# TYPE herald_inbox_monitor_check_seconds gauge\nherald_inbox_monitor_check_seconds ")
        .append(monitorCheckNanos.getAsLong() / 1e9)
        .append('\n');
  }

  private static void counter(
      StringBuilder out, String name, String help, String label, Map<String, LongAdder> values) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" counter\n");
    values.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                out.append(name)
                    .append('{')
                    .append(label)
                    .append("=\"")
                    .append(escape(e.getKey()))
                    .append("\"} ")
                    .append(e.getValue().sum())
                    .append('\n'));
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
