package dev.herald.server.metrics;

import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.log.InvalidEventException;
import dev.herald.log.Event;
import dev.herald.notify.DeliveryListener;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.Notification;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald's counters, gauges and the notification lateness histogram, written in the Prometheus
 * text format by {@link #scrape()}. Counters are {@link LongAdder}s so the hot paths never
 * contend; gauges are read from the store at scrape time.
 *
 * <p>Thread-safe.
 */
public final class HeraldMetrics implements DigestListener, DeliveryListener {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldMetrics.class);
  private static final double[] LATENESS_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private final Map<String, LongAdder> appended = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> ingested = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> emitted = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> delivered = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> deliveryFailures = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> givenUp = new ConcurrentHashMap<>();
  private final LongAdder[] latenessBuckets = new LongAdder[LATENESS_BOUNDS.length + 1];
  private final LongAdder latenessCount = new LongAdder();
  private final java.util.concurrent.atomic.DoubleAdder latenessSum = new java.util.concurrent.atomic.DoubleAdder();
  private final List<DigestRule> rules;
  private final DigestStore store;

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
    double seconds = Math.max(0, Duration.between(notification.dueAt(), notification.createdAt()).toNanos() / 1e9);
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
    add(rejected, rule.name(), 1);
    LOG.warn("digest rule {} skipped event {} of stream {}: {}", rule.name(), event.id(), event.stream(), reason.getMessage());
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

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    counter(out, "herald_events_appended_total", "Events appended, by stream.", "stream", appended);
    counter(out, "herald_events_digested_total", "Events applied to digest buckets and acknowledged, by rule.", "rule", ingested);
    counter(out, "herald_notifications_emitted_total", "Notifications emitted (buckets closed), by rule.", "rule", emitted);
    counter(out, "herald_events_rejected_total", "Events a digest rule could not use and skipped, by rule.", "rule", rejected);
    counter(out, "herald_deliveries_total", "Successful deliveries, by sink.", "sink", delivered);
    counter(out, "herald_delivery_failures_total", "Failed delivery attempts, by sink.", "sink", deliveryFailures);
    counter(out, "herald_deliveries_given_up_total", "Deliveries abandoned after the last retry, by sink.", "sink", givenUp);
    out.append("# HELP herald_buckets_open Open digest buckets, by rule.\n# TYPE herald_buckets_open gauge\n");
    for (DigestRule rule : rules) {
      out.append("herald_buckets_open{rule=\"").append(escape(rule.name())).append("\"} ").append(store.openBucketCount(rule.name())).append('\n');
    }
    out.append("# HELP herald_notification_lateness_seconds Emission time minus due time.\n")
        .append("# TYPE herald_notification_lateness_seconds histogram\n");
    long cumulative = 0;
    for (int i = 0; i < LATENESS_BOUNDS.length; i++) {
      cumulative += latenessBuckets[i].sum();
      out.append("herald_notification_lateness_seconds_bucket{le=\"").append(LATENESS_BOUNDS[i]).append("\"} ").append(cumulative).append('\n');
    }
    cumulative += latenessBuckets[LATENESS_BOUNDS.length].sum();
    out.append("herald_notification_lateness_seconds_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
    out.append("herald_notification_lateness_seconds_sum ").append(latenessSum.sum()).append('\n');
    out.append("herald_notification_lateness_seconds_count ").append(latenessCount.sum()).append('\n');
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, String label, Map<String, LongAdder> values) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" counter\n");
    values.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.append(name).append('{').append(label)
        .append("=\"").append(escape(e.getKey())).append("\"} ").append(e.getValue().sum()).append('\n'));
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
