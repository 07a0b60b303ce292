package dev.herald.inbox;

import dev.herald.agent.Agent;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupReader;
import dev.herald.log.InvalidEventException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the events of each inbox rule's stream into the recipients' inboxes. Events are
 * acknowledged after the store made them durable; the store's deduplication makes a redelivery
 * count once.
 *
 * <p>Thread ownership: {@link #doWork()} is called by one runner thread.
 */
public final class InboxEngine implements Agent {

  private static final Logger LOG = LoggerFactory.getLogger(InboxEngine.class);

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
  private final Map<String, GroupReader> readers = new HashMap<>();
  private final String roleName;

  public InboxEngine(
      EventLog log,
      InboxStore store,
      List<InboxRule> rules,
      InstantSource clock,
      String consumer,
      int batchSize,
      Duration lease,
      Listener listener) {
    Objects.requireNonNull(log, "log");
    this.store = Objects.requireNonNull(store, "store");
    this.rules = List.copyOf(rules);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.roleName = "herald-inbox-" + consumer;
    for (InboxRule rule : this.rules) {
      // the store takes the events' text and three fields of it (InboxDelivery.of): no trees
      readers.put(
          rule.name(),
          new GroupReader(
              log, rule.stream(), rule.consumerGroup(), consumer, batchSize, lease, false));
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
    Instant now = clock.instant();
    for (InboxRule rule : rules) {
      GroupReader reader = readers.get(rule.name());
      work += deliver(rule, reader, reader.fresh());
      work += deliver(rule, reader, reader.abandoned(now));
    }
    return work;
  }

  /**
   * Delivers the batches the readers fetched ahead, so that a stopping engine leaves none pending.
   */
  @Override
  public void onClose() {
    for (InboxRule rule : rules) {
      GroupReader reader = readers.get(rule.name());
      reader.close(events -> deliver(rule, reader, events));
    }
  }

  private int deliver(InboxRule rule, GroupReader reader, List<Event> events) {
    if (events.isEmpty()) {
      return 0;
    }
    List<InboxDelivery> deliveries = new ArrayList<>(events.size());
    List<String> ids = new ArrayList<>(events.size());
    for (Event event : events) {
      ids.add(event.id());
      try {
        deliveries.add(InboxDelivery.of(rule, event));
      } catch (InvalidEventException e) {
        LOG.warn(
            "inbox '{}' skips event {}/{}: {}",
            rule.name(),
            event.stream(),
            event.id(),
            e.getMessage());
        listener.onRejected(rule, event, e);
      }
    }
    int added = deliveries.isEmpty() ? 0 : store.add(rule, deliveries, clock.instant());
    reader.ack(ids);
    listener.onDelivered(rule, events.size(), added);
    return events.size();
  }

  @Override
  public String roleName() {
    return roleName;
  }
}
