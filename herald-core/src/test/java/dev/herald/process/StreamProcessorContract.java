package dev.herald.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupConsumer;
import dev.herald.log.GroupStart;
import dev.herald.log.NewEvent;
import dev.herald.log.StoreUnavailableException;
import dev.herald.process.BatchHandler.Rejection;
import dev.herald.retry.RetryPolicy;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The failure policy of the one consumer loop, on a real log: retries with growing delays, dead
 * letters, a store outage that blames no event, and an event that killed every consumer it went to.
 */
public abstract class StreamProcessorContract implements BackendFixture {

  private final ManualClock clock = ManualClock.at("2026-12-01T10:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  private EventLog log;

  /** Four tries, 100 ms doubling to at most 1 s, the jitter drawn at a fixed point. */
  private static final RetryPolicy RETRY =
      new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1), 0.5);

  private static final Duration LEASE = Duration.ofSeconds(30);

  /** What the handler saw: each try of an event, by its "n", with the clock's time. */
  private final List<String> tries = new ArrayList<>();

  private final List<String> applied = new ArrayList<>();

  @BeforeEach
  void openLog() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    log = backend.log();
  }

  @AfterEach
  void close() {
    opened.forEach(Backend::close);
  }

  private static ObjectNode event(int n) {
    ObjectNode data = Json.object();
    data.put("n", n);
    return data;
  }

  private List<String> append(int... ns) {
    List<NewEvent> events = new ArrayList<>();
    for (int n : ns) {
      events.add(NewEvent.of(event(n)));
    }
    return log.appendAll("s", events);
  }

  private StreamProcessor processor(BatchHandler handler, FailurePolicy policy) {
    return processor(handler, policy, LEASE);
  }

  private StreamProcessor processor(BatchHandler handler, FailurePolicy policy, Duration lease) {
    return new StreamProcessor(
        log,
        new GroupConsumer.Settings("s", "job", "c1", 100, lease, true),
        handler,
        policy,
        () -> 0.5);
  }

  private static FailurePolicy policy() {
    return new FailurePolicy(RETRY, Map.of(), FailurePolicy.FailureListener.NONE);
  }

  /** A handler that fails every try of the event with n == {@code bad} and applies the rest. */
  private BatchHandler failingOn(int bad) {
    return events -> {
      for (Event e : events) {
        int n = e.data().get("n").intValue();
        tries.add(n + "@" + clock.instant().toEpochMilli());
        if (n == bad) {
          throw new IllegalStateException("event " + n + " breaks the handler");
        }
      }
      events.forEach(e -> applied.add(e.data().get("n").asText()));
      return List.of();
    };
  }

  /** Polls while moving the clock on 10 ms a time, until {@code done} or 10 s of clock. */
  private void pollUntil(StreamProcessor processor, java.util.function.BooleanSupplier done) {
    for (int i = 0; i < 1_000 && !done.getAsBoolean(); i++) {
      processor.poll(clock.instant());
      clock.advance(Duration.ofMillis(10));
    }
  }

  /** Acknowledgements are written in the background: wait for the group to have none pending. */
  private void awaitNothingPending() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(log.info("s").groups())
                    .singleElement()
                    .satisfies(g -> assertThat(g.pending()).isZero()));
  }

  private List<Event> deadLetters(String stream) {
    return log.read(stream, "", 100);
  }

  @Test
  void anEventThatAlwaysFailsIsTriedMaxAttemptsTimesWithGrowingDelaysThenDeadLetteredAndAcked() {
    List<String> ids = append(1, 2, 3);
    StreamProcessor processor = processor(failingOn(2), policy());

    pollUntil(processor, () -> !deadLetters("s.dead").isEmpty() && applied.contains("3"));

    List<Long> triesOfTwo =
        tries.stream()
            .filter(t -> t.startsWith("2@"))
            .map(t -> Long.parseLong(t.substring(2)))
            .toList();
    // the batch's try, then one at a time: 4 tries of its own
    assertThat(triesOfTwo).hasSize(1 + RETRY.maxAttempts());
    List<Long> alone = triesOfTwo.subList(1, triesOfTwo.size());
    List<Long> delays = new ArrayList<>();
    for (int i = 1; i < alone.size(); i++) {
      delays.add(alone.get(i) - alone.get(i - 1));
    }
    assertThat(delays).as("waits between tries, ms").hasSize(3).isSorted();
    assertThat(delays.getLast()).isGreaterThan(delays.getFirst());
    // 100, 200, 400 ms less a quarter (jitter 0.5 drawn at 0.5), polled every 10 ms
    assertThat(delays.getFirst()).isBetween(75L, 90L);
    assertThat(delays.getLast()).isBetween(300L, 320L);

    assertThat(applied).as("the others go on").containsExactly("1", "3");
    Event letter = deadLetters("s.dead").getFirst();
    JsonNode data = letter.data();
    assertThat(data.get("reason").asText()).contains("event 2 breaks the handler");
    assertThat(data.get("consumer").asText()).isEqualTo("job");
    assertThat(data.get("attempts").intValue()).isEqualTo(RETRY.maxAttempts());
    assertThat(data.get("source_event").asText()).isEqualTo("s/" + ids.get(1));
    assertThat(data.get("event")).isEqualTo(event(2));
    assertThat(deadLetters("s.dead")).hasSize(1);
    awaitNothingPending();

    append(4);
    pollUntil(processor, () -> applied.contains("4"));
    assertThat(applied).containsExactly("1", "3", "4");
  }

  @Test
  void aRejectedEventGoesToTheConfiguredDeadLetterStreamAtOnceAndTheRestIsApplied() {
    List<String> ids = append(1, 2, 3);
    BatchHandler rejectsTwo =
        events -> {
          List<Rejection> rejected = new ArrayList<>();
          for (Event e : events) {
            if (e.data().get("n").intValue() == 2) {
              rejected.add(new Rejection(e, "event 2 has no seller_id"));
            } else {
              applied.add(e.data().get("n").asText());
            }
          }
          return rejected;
        };
    FailurePolicy policy =
        new FailurePolicy(RETRY, Map.of("job", "s.rejects"), FailurePolicy.FailureListener.NONE);
    StreamProcessor processor = processor(rejectsTwo, policy);

    assertThat(processor.poll(clock.instant())).isEqualTo(3);

    assertThat(applied).containsExactly("1", "3");
    assertThat(deadLetters("s.dead")).isEmpty();
    assertThat(deadLetters("s.rejects"))
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.data().get("reason").asText())
                  .isEqualTo("event 2 has no seller_id");
              assertThat(letter.data().get("attempts").intValue()).isEqualTo(1);
              assertThat(letter.data().get("source_event").asText()).isEqualTo("s/" + ids.get(1));
            });
    awaitNothingPending();
  }

  @Test
  void aStoreOutageBlamesNoEventAndTheBatchIsAppliedWholeOnceTheStoreIsBack() {
    append(1, 2, 3);
    AtomicInteger outages = new AtomicInteger(3);
    List<Integer> batchSizes = new ArrayList<>();
    BatchHandler handler =
        events -> {
          batchSizes.add(events.size());
          if (outages.getAndDecrement() > 0) {
            throw new StoreUnavailableException("the store is away", null);
          }
          events.forEach(e -> applied.add(e.data().get("n").asText()));
          return List.of();
        };
    StreamProcessor processor = processor(handler, policy());

    assertThatThrownBy(() -> processor.poll(clock.instant()))
        .isInstanceOf(StoreUnavailableException.class);
    assertThat(processor.poll(clock.instant())).as("waits for its backoff").isZero();
    for (int i = 0; i < 1_000 && applied.isEmpty(); i++) {
      clock.advance(Duration.ofMillis(10));
      try {
        processor.poll(clock.instant());
      } catch (StoreUnavailableException expected) {
        // the outage goes on
      }
    }

    assertThat(applied).containsExactly("1", "2", "3");
    assertThat(batchSizes).as("never split: no event was to blame").containsOnly(3).hasSize(4);
    assertThat(deadLetters("s.dead")).isEmpty();
  }

  @Test
  void anEventDeliveredMoreThanMaxAttemptsTimesGoesToDeadLettersUntried() {
    List<String> ids = append(1);
    log.createGroup("s", "job", GroupStart.EARLIEST);
    Duration lease = Duration.ofMillis(200);
    // four consumers took it in turn and died: delivered 4 times, never acknowledged
    assertThat(log.readGroup("s", "job", "died-1", 10)).hasSize(1);
    for (int died = 2; died <= RETRY.maxAttempts(); died++) {
      String consumer = "died-" + died;
      clock.advance(lease.plusMillis(50));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> log.claim("s", "job", consumer, lease, 10), claimed -> !claimed.isEmpty());
    }
    StreamProcessor processor = processor(failingOn(-1), policy(), lease);

    clock.advance(lease.plusMillis(50));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              processor.poll(clock.instant());
              clock.advance(lease);
              return !deadLetters("s.dead").isEmpty();
            });

    assertThat(tries).as("not tried a fifth time").isEmpty();
    JsonNode letter = deadLetters("s.dead").getFirst().data();
    assertThat(letter.get("attempts").intValue()).isEqualTo(RETRY.maxAttempts());
    assertThat(letter.get("reason").asText()).contains("never acknowledged");
    assertThat(letter.get("source_event").asText()).isEqualTo("s/" + ids.getFirst());
    awaitNothingPending();
  }

  @Test
  void aRetriedEventIsDeadLetteredOnceAfterARestartThatRedeliversIt() {
    List<String> ids = append(1);
    Duration lease = Duration.ofMillis(200);
    StreamProcessor first = processor(failingOn(1), policy(), lease);
    // three of its four tries fail here; then the process "dies" holding it
    pollUntil(first, () -> tries.size() >= RETRY.maxAttempts() - 1);
    assertThat(deadLetters("s.dead")).isEmpty();

    StreamProcessor second = processor(failingOn(1), policy(), lease);
    clock.advance(lease.plusMillis(50));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              second.poll(clock.instant());
              clock.advance(Duration.ofMillis(50));
              return !deadLetters("s.dead").isEmpty();
            });

    assertThat(deadLetters("s.dead"))
        .singleElement()
        .satisfies(
            letter ->
                assertThat(letter.data().get("source_event").asText())
                    .isEqualTo("s/" + ids.getFirst()));
    awaitNothingPending();
  }

  @Test
  void aDeadLetterIsWrittenOnceWhenItsAcknowledgementWasLostAndTheEventComesBack() {
    append(1);
    BatchHandler rejectsAll =
        events -> events.stream().map(e -> new Rejection(e, "never usable")).toList();
    Duration lease = Duration.ofMillis(200);
    // a log whose acknowledgements are lost, as in a crash right after the dead letter
    EventLog losingAcks = withoutAcks(log);
    StreamProcessor first =
        new StreamProcessor(
            losingAcks,
            new GroupConsumer.Settings("s", "job", "c1", 100, lease, true),
            rejectsAll,
            policy(),
            () -> 0.5);
    assertThat(first.poll(clock.instant())).isEqualTo(1);
    assertThat(deadLetters("s.dead")).hasSize(1);

    StreamProcessor second = processor(rejectsAll, policy(), lease);
    clock.advance(lease.plusMillis(50));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              clock.advance(lease);
              return second.poll(clock.instant()) > 0;
            });

    awaitNothingPending();
    assertThat(deadLetters("s.dead")).as("the second give-up appended nothing").hasSize(1);
  }

  /** {@code log} with every acknowledgement dropped, its consumers reading through it. */
  private static EventLog withoutAcks(EventLog log) {
    return (EventLog)
        java.lang.reflect.Proxy.newProxyInstance(
            EventLog.class.getClassLoader(),
            new Class<?>[] {EventLog.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "ack":
                  return null;
                case "consumer":
                  return new dev.herald.log.GroupReader(
                      (EventLog) proxy, (GroupConsumer.Settings) args[0]);
                default:
                  try {
                    return method.invoke(log, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
              }
            });
  }

  /** The instant the clock shows, for messages. */
  protected Instant now() {
    return clock.instant();
  }
}
