package dev.herald.route;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.Agent;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupConsumer;
import dev.herald.log.InvalidEventException;
import dev.herald.log.NewEvent;
import dev.herald.process.BatchHandler.Rejection;
import dev.herald.process.FailurePolicy;
import dev.herald.process.StreamProcessor;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Expands the events of each route's stream into one event per recipient.
 *
 * <p>Each routed event is a copy of the source event with the recipient in the rule's recipient
 * field and the source event's id in {@value #SOURCE_FIELD}. The routed and invalid events of a
 * batch are appended before the batch is acknowledged, so a crash in between routes the batch
 * again: consumers make that harmless by deduplicating on (source event, recipient), which the
 * inbox store does.
 *
 * <p>Thread ownership: {@link #doWork()} is called by one runner thread.
 */
public final class RouteEngine implements Agent {

  /** The field of a routed or invalid event naming the event it came from. */
  public static final String SOURCE_FIELD = "source_event";

  private final EventLog log;
  private final Directories directories;
  private final List<RouteRule> rules;
  private final InstantSource clock;
  private final RouteListener listener;
  private final String roleName;
  private final Map<String, StreamProcessor> processors = new HashMap<>();

  public RouteEngine(
      EventLog log,
      Directories directories,
      List<RouteRule> rules,
      InstantSource clock,
      String consumer,
      int batchSize,
      Duration lease,
      FailurePolicy failures,
      RouteListener listener) {
    this.log = Objects.requireNonNull(log, "log");
    this.directories = Objects.requireNonNull(directories, "directories");
    this.rules = List.copyOf(rules);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.roleName = "herald-route-" + Objects.requireNonNull(consumer, "consumer");
    this.listener = Objects.requireNonNull(listener, "listener");
    for (RouteRule rule : this.rules) {
      if (directories.get(rule.directory()).isEmpty()) {
        throw new IllegalArgumentException(
            "route '"
                + rule.name()
                + "' uses directory '"
                + rule.directory()
                + "', which is not declared");
      }
      processors.put(
          rule.name(),
          new StreamProcessor(
              log,
              new GroupConsumer.Settings(
                  rule.stream(), rule.consumerGroup(), consumer, batchSize, lease, true),
              events -> route(rule, events),
              failures));
    }
  }

  public List<RouteRule> rules() {
    return rules;
  }

  public Optional<RouteRule> rule(String name) {
    return rules.stream().filter(r -> r.name().equals(name)).findFirst();
  }

  @Override
  public int doWork() {
    int work = 0;
    for (RouteRule rule : rules) {
      work += processors.get(rule.name()).poll(clock.instant());
    }
    return work;
  }

  /**
   * Routes the batches the readers fetched ahead, so that a stopping engine leaves none pending.
   */
  @Override
  public void onClose() {
    for (RouteRule rule : rules) {
      processors.get(rule.name()).close(clock.instant());
    }
  }

  /**
   * Routes a batch. An event that names no valid recipient is this job's own outcome, not a
   * failure: it goes to the route's {@code invalid} stream, which the alerts read, and nothing goes
   * to dead letters.
   */
  private List<Rejection> route(RouteRule rule, List<Event> events) {
    Directory directory = directories.get(rule.directory()).orElseThrow();
    List<NewEvent> routed = new ArrayList<>();
    Map<Event, String> invalid = new LinkedHashMap<>();
    for (Event event : events) {
      Routing routing;
      try {
        routing = Routing.of(rule, directory, event.data());
      } catch (InvalidEventException e) {
        // refused at the API; reaches here only if written by another way
        routing = new Routing(List.of(), e.getMessage());
      }
      if (!routing.valid()) {
        invalid.put(event, routing.reason());
        continue;
      }
      routed.addAll(copies(rule, event, routing.recipients()));
    }
    if (!routed.isEmpty()) {
      log.appendAll(rule.to(), routed);
    }
    if (!invalid.isEmpty()) {
      List<NewEvent> kept = new ArrayList<>(invalid.size());
      invalid.forEach(
          (event, reason) -> {
            ObjectNode record = Json.object();
            record.put("reason", reason);
            record.put("route", rule.name());
            record.put(SOURCE_FIELD, event.stream() + "/" + event.id());
            record.set("event", event.data());
            kept.add(new NewEvent(Optional.of(event.time()), record));
          });
      List<String> invalidIds = log.appendAll(rule.invalid(), kept);
      int i = 0;
      for (Map.Entry<Event, String> entry : invalid.entrySet()) {
        listener.onInvalid(rule, entry.getKey(), entry.getValue(), invalidIds.get(i++));
      }
    }
    listener.onRouted(rule, events.size() - invalid.size(), routed.size());
    return List.of();
  }

  /**
   * The routed copies of {@code event}: its object with the recipient and the source added. When it
   * has neither field yet, each copy's text is the event's stored text with the two fields written
   * before its closing brace, which is what writing a copy of the tree gives (the fields are
   * appended in this order), without copying and writing the tree once per recipient.
   */
  static List<NewEvent> copies(RouteRule rule, Event event, List<String> recipients) {
    Optional<Instant> time = Optional.of(event.time());
    String source = event.stream() + "/" + event.id();
    ObjectNode data = event.data();
    String json = event.json();
    List<NewEvent> copies = new ArrayList<>(recipients.size());
    if (data.has(rule.recipientField()) || data.has(SOURCE_FIELD) || !json.endsWith("}")) {
      for (String recipient : recipients) {
        ObjectNode copy = data.deepCopy();
        copy.put(rule.recipientField(), recipient);
        copy.put(SOURCE_FIELD, source);
        copies.add(new NewEvent(time, copy));
      }
      return copies;
    }
    String head =
        json.substring(0, json.length() - 1)
            + (data.isEmpty() ? "" : ",")
            + Json.quote(rule.recipientField())
            + ":";
    String tail = "," + Json.quote(SOURCE_FIELD) + ":" + Json.quote(source) + "}";
    for (String recipient : recipients) {
      copies.add(new NewEvent(time, head + Json.quote(recipient) + tail));
    }
    return copies;
  }

  @Override
  public String roleName() {
    return roleName;
  }
}
