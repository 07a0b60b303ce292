package dev.herald.alert;

import dev.herald.agent.Agent;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The alerts stream, and the active alerts folded from it. The stream is the source of truth: every
 * process reads it from the start, so all of them agree on what is active, whichever of them raised
 * or resolved an alert. Raising an alert that is already active, or resolving one that is not, is
 * harmless: the fold keeps the first raise and the last resolution.
 *
 * <p>Thread-safety: {@link #raise}, {@link #resolve} and the queries may be called from any thread;
 * {@link #doWork()} by one runner thread.
 */
public final class AlertBoard implements Agent {

  private static final int READ_BATCH = 1000;

  private final EventLog log;
  private final String stream;
  private final InstantSource clock;
  private final Map<String, Alert> active = new ConcurrentHashMap<>();
  private String cursor = "";

  public AlertBoard(EventLog log, String stream, InstantSource clock) {
    this.log = Objects.requireNonNull(log, "log");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public String stream() {
    return stream;
  }

  /** Raises an alert now and returns it. */
  public Alert raise(String type, String subject, String detail) {
    Alert alert = new Alert(type, subject, detail, clock.instant(), Optional.empty());
    log.append(stream, NewEvent.of(alert.toJson()));
    apply(alert);
    return alert;
  }

  /** Resolves the active alert of {@code type} and {@code subject}; false when none is active. */
  public boolean resolve(String type, String subject, String detail) {
    Alert raised = active.get(key(type, subject));
    if (raised == null) {
      return false;
    }
    Alert resolved =
        new Alert(type, subject, detail, raised.raisedAt(), Optional.of(clock.instant()));
    log.append(stream, NewEvent.of(resolved.toJson()));
    apply(resolved);
    return true;
  }

  public List<Alert> active() {
    return active.values().stream()
        .sorted(Comparator.comparing(Alert::raisedAt).thenComparing(Alert::subject))
        .toList();
  }

  public Optional<Alert> active(String type, String subject) {
    return Optional.ofNullable(active.get(key(type, subject)));
  }

  public List<Alert> active(String type) {
    return active().stream().filter(a -> a.type().equals(type)).toList();
  }

  /** Reads what other processes (or this one) appended since the last call. */
  @Override
  public int doWork() {
    List<Event> events = log.read(stream, cursor, READ_BATCH);
    for (Event event : events) {
      Alert.fromJson(event.data()).ifPresent(this::apply);
      cursor = event.id();
    }
    return events.size();
  }

  /** Reads the whole stream once, so the board is complete before anything raises alerts. */
  public AlertBoard catchUp() {
    while (doWork() > 0) {
      // keep reading
    }
    return this;
  }

  private void apply(Alert alert) {
    if (!alert.condition()) {
      return;
    }
    String key = key(alert.type(), alert.subject());
    if (alert.resolvedAt().isPresent()) {
      active.computeIfPresent(
          key, (k, raised) -> raised.raisedAt().isAfter(alert.resolvedAt().get()) ? raised : null);
    } else {
      active.putIfAbsent(key, alert);
    }
  }

  private static String key(String type, String subject) {
    return type + "\0" + subject;
  }

  @Override
  public String roleName() {
    return "herald-alerts";
  }
}
