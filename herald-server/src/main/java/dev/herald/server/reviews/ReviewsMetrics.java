package dev.herald.server.reviews;

import dev.herald.inbox.InboxEngine;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.log.Event;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.server.metrics.LabelledCounter;
import dev.herald.server.metrics.MetricsSource;
import dev.herald.server.metrics.MetricsText;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The reviews job's metrics: events routed and unroutable, events added to inboxes, and the
 * inboxes' state and the active alerts, read at scrape time. Thread-safe.
 */
final class ReviewsMetrics implements RouteListener, InboxEngine.Listener, MetricsSource {

  private final LabelledCounter routed = new LabelledCounter();
  private final LabelledCounter routedDeliveries = new LabelledCounter();
  private final LabelledCounter unroutable = new LabelledCounter();
  private final LabelledCounter inboxEvents = new LabelledCounter();
  private final LabelledCounter inboxDuplicates = new LabelledCounter();
  private final List<InboxRule> inboxRules;
  private final InboxStore inboxes;
  private final IntSupplier activeAlerts;
  private final LongSupplier monitorCheckNanos;

  ReviewsMetrics(
      List<InboxRule> inboxRules,
      InboxStore inboxes,
      IntSupplier activeAlerts,
      LongSupplier monitorCheckNanos) {
    this.inboxRules = List.copyOf(inboxRules);
    this.inboxes = inboxes;
    this.activeAlerts = activeAlerts;
    this.monitorCheckNanos = monitorCheckNanos;
  }

  @Override
  public void onRouted(RouteRule rule, int count, int deliveries) {
    routed.add(rule.name(), count);
    routedDeliveries.add(rule.name(), deliveries);
  }

  @Override
  public void onInvalid(RouteRule rule, Event event, String reason, String invalidId) {
    unroutable.increment(rule.name());
  }

  @Override
  public void onDelivered(InboxRule rule, int events, int added) {
    inboxEvents.add(rule.name(), added);
    inboxDuplicates.add(rule.name(), events - added);
  }

  @Override
  public void writeTo(MetricsText out) {
    out.counter(
            "herald_route_events_total",
            "Events routed to at least one recipient, by route.",
            "route",
            routed)
        .counter(
            "herald_route_deliveries_total",
            "Recipient events written by routes, by route.",
            "route",
            routedDeliveries)
        .counter(
            "herald_route_invalid_total",
            "Events a route could not route (written to its invalid stream), by route.",
            "route",
            unroutable)
        .counter(
            "herald_inbox_events_total", "Events added to inboxes, by inbox.", "inbox", inboxEvents)
        .counter(
            "herald_inbox_duplicates_total",
            "Redelivered or re-routed events skipped by inboxes, by inbox.",
            "inbox",
            inboxDuplicates);
    if (inboxRules.isEmpty()) {
      return;
    }
    Map<String, Long> count = new LinkedHashMap<>();
    Map<String, Long> pending = new LinkedHashMap<>();
    Map<String, Long> reserved = new LinkedHashMap<>();
    Map<String, Double> oldest = new LinkedHashMap<>();
    Instant now = Instant.now();
    for (InboxRule rule : inboxRules) {
      InboxStats stats = inboxes.stats(rule.name());
      count.put(rule.name(), stats.inboxes());
      pending.put(rule.name(), stats.pendingItems());
      reserved.put(rule.name(), stats.reservedItems());
      oldest.put(
          rule.name(),
          stats
              .oldestPendingAt()
              .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0))
              .orElse(0.0));
    }
    out.gauge("herald_inboxes", "Inboxes with pending items, by inbox.", "inbox", count)
        .gauge("herald_inbox_pending_items", "Pending items, by inbox.", "inbox", pending)
        .gauge(
            "herald_inbox_reserved_items",
            "Items pulled and not acknowledged yet, by inbox.",
            "inbox",
            reserved)
        .gauge(
            "herald_inbox_oldest_pending_seconds",
            "Age of the oldest pending item, by inbox (0 when none).",
            "inbox",
            oldest)
        .gauge("herald_alerts_active", "Active alerts (stale inboxes).", activeAlerts.getAsInt())
        .gauge(
            "herald_inbox_monitor_check_seconds",
            "Duration of the last stale-inbox check.",
            monitorCheckNanos.getAsLong() / 1e9);
  }
}
