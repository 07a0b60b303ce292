package dev.herald.server.digests;

import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import dev.herald.notify.DeliveryListener;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.Notification;
import dev.herald.server.metrics.LabelledCounter;
import dev.herald.server.metrics.MetricsSource;
import dev.herald.server.metrics.MetricsText;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The digests job's metrics: events digested, notifications emitted and how late, deliveries, and
 * the open buckets, read from the store at scrape time. Thread-safe.
 */
final class DigestMetrics implements DigestListener, DeliveryListener, MetricsSource {

  private static final double[] LATENESS_BOUNDS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private final LabelledCounter ingested = new LabelledCounter();
  private final LabelledCounter emitted = new LabelledCounter();
  private final LabelledCounter rejected = new LabelledCounter();
  private final LabelledCounter delivered = new LabelledCounter();
  private final LabelledCounter deliveryFailures = new LabelledCounter();
  private final LabelledCounter givenUp = new LabelledCounter();
  private final LongAdder[] latenessBuckets = new LongAdder[LATENESS_BOUNDS.length + 1];
  private final LongAdder latenessCount = new LongAdder();
  private final DoubleAdder latenessSum = new DoubleAdder();
  private final List<DigestRule> rules;
  private final DigestStore store;

  DigestMetrics(List<DigestRule> rules, DigestStore store) {
    this.rules = List.copyOf(rules);
    this.store = store;
    for (int i = 0; i < latenessBuckets.length; i++) {
      latenessBuckets[i] = new LongAdder();
    }
  }

  @Override
  public void onIngested(DigestRule rule, int events) {
    ingested.add(rule.name(), events);
  }

  @Override
  public void onNotification(Notification notification) {
    emitted.increment(notification.rule());
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
    rejected.increment(rule.name()); // the stream processor logs it as it writes the dead letter
  }

  @Override
  public void onOutcome(DeliveryOutcome outcome) {
    String sink = outcome.task().sink();
    if (outcome.succeeded()) {
      delivered.increment(sink);
    } else {
      deliveryFailures.increment(sink);
      if (outcome.gaveUp()) {
        givenUp.increment(sink);
      }
    }
  }

  @Override
  public void writeTo(MetricsText out) {
    out.counter(
            "herald_events_digested_total",
            "Events applied to digest buckets and acknowledged, by rule.",
            "rule",
            ingested)
        .counter(
            "herald_notifications_emitted_total",
            "Notifications emitted (buckets closed), by rule.",
            "rule",
            emitted)
        .counter(
            "herald_events_rejected_total",
            "Events a digest rule could not use, put in its dead-letter stream, by rule.",
            "rule",
            rejected)
        .counter("herald_deliveries_total", "Successful deliveries, by sink.", "sink", delivered)
        .counter(
            "herald_delivery_failures_total",
            "Failed delivery attempts, by sink.",
            "sink",
            deliveryFailures)
        .counter(
            "herald_deliveries_given_up_total",
            "Deliveries abandoned after the last retry, by sink.",
            "sink",
            givenUp);
    Map<String, Long> open = new LinkedHashMap<>();
    rules.forEach(rule -> open.put(rule.name(), store.openBucketCount(rule.name())));
    out.gauge("herald_buckets_open", "Open digest buckets, by rule.", "rule", open);
    long[] counts = new long[latenessBuckets.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = latenessBuckets[i].sum();
    }
    out.histogram(
        "herald_notification_lateness_seconds",
        "Emission time minus due time.",
        LATENESS_BOUNDS,
        counts,
        latenessSum.sum(),
        latenessCount.sum());
  }
}
