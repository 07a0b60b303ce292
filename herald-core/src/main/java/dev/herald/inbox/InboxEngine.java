package dev.herald.inbox;

import dev.herald.agent.Agent;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupConsumer;
import dev.herald.log.InvalidEventException;
import dev.herald.process.BatchHandler.Rejection;
import dev.herald.process.FailurePolicy;
import dev.herald.process.StreamProcessor;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Moves the events of each inbox rule's stream into the recipients' inboxes, with a {@link
 * StreamProcessor} per rule. Events are acknowledged after the store made them durable; the store's
 * deduplication makes a redelivery count once. An event without what the rule needs goes to the
 * rule's dead-letter stream.
 *
 * <p>Thread ownership: {@link #doWork()} is called by one runner thread.
 */
public final class InboxEngine implements Agent {

  /** Observes the engine, e.g. for metrics; called on the engine's thread. */
  public interface Listener {
    Listener NONE = new Listener() {};

    default void onDelivered(InboxRule rule, int events, int added) {}

    default void onRejected(InboxRule rule, Event event, InvalidEventException reason) {}
  }

  private final InboxStore store;
  private final List<InboxRule> rules;
  private final InstantSource clock;
  private final Listener listener;
  private final Map<String, StreamProcessor> processors = new HashMap<>();
  private final String roleName;

  public InboxEngine(
      EventLog log,
      InboxStore store,
      List<InboxRule> rules,
      InstantSource clock,
      String consumer,
      int batchSize,
      Duration lease,
      FailurePolicy failures,
      Listener listener) {
    Objects.requireNonNull(log, "log");
    this.store = Objects.requireNonNull(store, "store");
    this.rules = List.copyOf(rules);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.roleName = "herald-inbox-" + consumer;
    for (InboxRule rule : this.rules) {
      // the store takes the events' text and three fields of it (InboxDelivery.of): no trees
      processors.put(
          rule.name(),
          new StreamProcessor(
              log,
              new GroupConsumer.Settings(
                  rule.stream(), rule.consumerGroup(), consumer, batchSize, lease, false),
              events -> deliver(rule, events),
              failures));
    }
  }

  public List<InboxRule> rules() {
    return rules;
  }

  public Optional<InboxRule> rule(String name) {
    return rules.stream().filter(r -> r.name().equals(name)).findFirst();
  }

  @Override
  public int doWork() {
    int work = 0;
    for (InboxRule rule : rules) {
      work += processors.get(rule.name()).poll(clock.instant());
    }
    return work;
  }

  /**
   * Delivers the batches the readers fetched ahead, so that a stopping engine leaves none pending.
   */
  @Override
  public void onClose() {
    for (InboxRule rule : rules) {
      processors.get(rule.name()).close(clock.instant());
    }
  }

  /** Adds a batch to the inboxes; the processor acknowledges it after this returns. */
  private List<Rejection> deliver(InboxRule rule, List<Event> events) {
    List<InboxDelivery> deliveries = new ArrayList<>(events.size());
    List<Rejection> rejected = List.of();
    for (Event event : events) {
      try {
        deliveries.add(InboxDelivery.of(rule, event));
      } catch (InvalidEventException e) {
        listener.onRejected(rule, event, e);
        if (rejected.isEmpty()) {
          rejected = new ArrayList<>();
        }
        rejected.add(new Rejection(event, e.getMessage()));
      }
    }
    int added = deliveries.isEmpty() ? 0 : store.add(rule, deliveries, clock.instant());
    listener.onDelivered(rule, events.size(), added);
    return rejected;
  }

  @Override
  public String roleName() {
    return roleName;
  }
}
