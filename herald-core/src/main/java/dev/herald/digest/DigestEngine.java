package dev.herald.digest;

import dev.herald.agent.Agent;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupConsumer;
import dev.herald.log.InvalidEventException;
import dev.herald.notify.Notification;
import dev.herald.process.BatchHandler.Rejection;
import dev.herald.process.FailurePolicy;
import dev.herald.process.StreamProcessor;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Turns the events of each digest rule's stream into buckets and closes the buckets when due.
 *
 * <p>Each rule reads its stream through the consumer group {@link DigestRule#consumerGroup()}, with
 * a {@link StreamProcessor}: events are added to the {@link DigestStore} and acknowledged only
 * after the store has made them durable, so a crash between the two redelivers them and the store's
 * idempotency makes the second add a no-op. Events left unacknowledged by a dead consumer are
 * claimed after {@code lease}. An event without what the rule needs (written to the stream by
 * another way than the API, which refuses it) goes to the rule's dead-letter stream. Several
 * engines (threads or processes) may share one store and log: the consumer group splits the events
 * and the store closes each bucket once.
 *
 * <p>The engine does two jobs: ingesting (read, add, acknowledge) and closing due buckets. {@link
 * #doWork()} does both in turn on one thread. A server runs {@link #ingester()} and {@link
 * #closer()} on a thread each instead, so that a due bucket is closed on time even while a large
 * ingest batch is being applied: on Redis, a batch of 50,000 events keeps its thread waiting for
 * most of a second.
 *
 * <p>Thread ownership: either {@link #doWork()} is called by one runner thread, or {@link
 * #ingester()} and {@link #closer()} each by one (never both ways at once). {@link #flush} is
 * thread-safe.
 */
public final class DigestEngine implements Agent {

  /**
   * Tuning of the engine, and what it does with events it cannot use.
   *
   * @param dueRecheck how long the closer may go by the next close check it read from the store
   *     before it reads it again. Zero reads it on every round. Longer suits a log that reports
   *     every append to this process (the embedded store; PostgreSQL, through LISTEN/NOTIFY): the
   *     closer reads again anyway once its check falls due and after every batch this engine adds,
   *     and buckets another process adds are closed by that process's closer on time, so what the
   *     cached check can miss is only the buckets of a process that died, for at most this long.
   */
  public record Options(
      String consumer, int batchSize, Duration lease, FailurePolicy failures, Duration dueRecheck) {
    public Options {
      Objects.requireNonNull(consumer, "consumer");
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, but was " + batchSize);
      }
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(failures, "failures");
      Objects.requireNonNull(dueRecheck, "dueRecheck");
    }

    public Options(String consumer, int batchSize, Duration lease, FailurePolicy failures) {
      this(consumer, batchSize, lease, failures, Duration.ZERO);
    }

    public Options(String consumer, int batchSize, Duration lease) {
      this(consumer, batchSize, lease, FailurePolicy.defaults());
    }

    public static Options defaults(String consumer) {
      // Large batches amortise a store's commit over many events (measured on SQLite: 24k -> 37k
      // events/s). On Redis, batches of 2,000 made the multi-instance test 40% slower and did not
      // measurably cut lateness.
      return new Options(consumer, 50_000, Duration.ofSeconds(30), FailurePolicy.defaults());
    }

    public Options withDueRecheck(Duration recheck) {
      return new Options(consumer, batchSize, lease, failures, recheck);
    }
  }

  /** A close check read from the store: when, and after how many adds of this engine. */
  private record CloseCheck(Optional<Instant> due, Instant readAt, long adds) {}

  /** Adds made by this engine, so a close check read before one of them is read again. */
  private final AtomicLong adds = new AtomicLong();

  private final Map<String, CloseCheck> closeChecks = new ConcurrentHashMap<>();

  private final DigestStore store;
  private final Map<String, DigestRule> rules;
  private final InstantSource clock;
  private final Options options;
  private final DigestListener listener;
  private final Map<String, StreamProcessor> processors = new HashMap<>();

  public DigestEngine(
      EventLog log,
      DigestStore store,
      List<DigestRule> rules,
      InstantSource clock,
      Options options,
      DigestListener listener) {
    Objects.requireNonNull(log, "log");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.options = Objects.requireNonNull(options, "options");
    this.listener = Objects.requireNonNull(listener, "listener");
    Map<String, DigestRule> byName = new java.util.LinkedHashMap<>();
    for (DigestRule rule : rules) {
      if (byName.put(rule.name(), rule) != null) {
        throw new IllegalArgumentException("two digest rules are named '" + rule.name() + "'");
      }
      processors.put(
          rule.name(),
          new StreamProcessor(
              log,
              new GroupConsumer.Settings(
                  rule.stream(),
                  rule.consumerGroup(),
                  options.consumer(),
                  options.batchSize(),
                  options.lease(),
                  true),
              events -> ingest(rule, events),
              options.failures()));
    }
    this.rules = Map.copyOf(byName);
  }

  public Optional<DigestRule> rule(String name) {
    return Optional.ofNullable(rules.get(name));
  }

  public List<DigestRule> rules() {
    return rules.values().stream()
        .sorted(java.util.Comparator.comparing(DigestRule::name))
        .toList();
  }

  @Override
  public int doWork() {
    // due buckets first, each step on the clock of its moment: an ingest batch takes time, and
    // after one the runner comes straight back here, so a bucket that fell due meanwhile is
    // closed next, not after another batch
    return closeAll() + ingestAll();
  }

  /** The ingesting half of {@link #doWork()}, as an agent of its own. */
  public Agent ingester() {
    return half("-ingest", this::ingestAll, this::finishReadAhead);
  }

  /** The closing half of {@link #doWork()}, as an agent of its own. */
  public Agent closer() {
    return half("-close", this::closeAll, () -> {});
  }

  private Agent half(String roleSuffix, IntSupplier work, Runnable close) {
    String role = roleName() + roleSuffix;
    return new Agent() {
      @Override
      public int doWork() {
        return work.getAsInt();
      }

      @Override
      public void onClose() {
        close.run();
      }

      @Override
      public String roleName() {
        return role;
      }
    };
  }

  private int closeAll() {
    int work = 0;
    for (DigestRule rule : rules.values()) {
      work += closeDue(rule, clock.instant());
    }
    return work;
  }

  private int ingestAll() {
    int work = 0;
    for (DigestRule rule : rules.values()) {
      work += processors.get(rule.name()).poll(clock.instant());
    }
    return work;
  }

  @Override
  public void onClose() {
    finishReadAhead();
  }

  /**
   * Ingests the batches the readers fetched ahead, so that a stopping engine leaves none pending.
   */
  private void finishReadAhead() {
    for (DigestRule rule : rules.values()) {
      processors.get(rule.name()).close(clock.instant());
    }
  }

  /** Adds a batch to the rule's buckets; the processor acknowledges it after this returns. */
  private List<Rejection> ingest(DigestRule rule, List<Event> events) {
    List<DigestItem> items = new ArrayList<>(events.size());
    List<Rejection> rejected = List.of();
    for (Event event : events) {
      try {
        items.add(DigestItem.of(rule, event));
      } catch (InvalidEventException e) {
        listener.onRejected(rule, event, e);
        if (rejected.isEmpty()) {
          rejected = new ArrayList<>();
        }
        rejected.add(new Rejection(event, e.getMessage()));
      }
    }
    emit(store.add(rule, items, clock.instant()));
    adds.incrementAndGet();
    listener.onIngested(rule, events.size());
    return rejected;
  }

  private int closeDue(DigestRule rule, Instant now) {
    Optional<Instant> due = nextCloseCheck(rule, now);
    if (due.isEmpty() || due.get().isAfter(now)) {
      return 0;
    }
    closeChecks.remove(rule.name());
    List<Notification> closed = store.closeDue(rule, now, options.batchSize());
    emit(closed);
    return closed.size();
  }

  /** The store's next close check, or the one read before while it still holds. */
  private Optional<Instant> nextCloseCheck(DigestRule rule, Instant now) {
    long addsNow = adds.get();
    CloseCheck known = closeChecks.get(rule.name());
    if (known != null
        && known.adds() == addsNow
        && now.isBefore(known.readAt().plus(options.dueRecheck()))
        && (known.due().isEmpty() || now.isBefore(known.due().get()))) {
      return known.due();
    }
    Optional<Instant> due = store.nextCloseCheck(rule.name());
    if (!options.dueRecheck().isZero()) {
      closeChecks.put(rule.name(), new CloseCheck(due, now, addsNow));
    }
    return due;
  }

  /** Closes the open bucket of {@code key} now; empty when it has none. */
  public Optional<Notification> flush(DigestRule rule, String key) {
    Optional<Notification> closed = store.flush(rule, key, clock.instant());
    closed.ifPresent(listener::onNotification);
    return closed;
  }

  private void emit(List<Notification> closed) {
    closed.forEach(listener::onNotification);
  }

  @Override
  public String roleName() {
    return "herald-digest-" + options.consumer();
  }
}
