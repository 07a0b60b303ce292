package dev.herald.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.agent.AgentRunner;
import dev.herald.json.Json;
import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Live subscriptions on a real backend: history, live events, resume, reset, slow subscribers. */
public abstract class TopicsContract implements BackendFixture {

  private Backend backend;
  private EventLog log;
  private Topics topics;
  private AgentRunner runner;

  @BeforeEach
  void open() {
    backend = openBackend(InstantSource.system());
    log = backend.log();
    topics = new Topics(log, Topics.Options.DEFAULT);
    runner = new AgentRunner(topics, Duration.ofMillis(2)).start();
  }

  @AfterEach
  void close() {
    runner.close();
    backend.close();
  }

  private List<String> publish(int from, int count) {
    List<NewEvent> events = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      events.add(NewEvent.of(Json.parseTrustedObject("{\"n\":" + i + "}")));
    }
    return log.appendAll("chat", events);
  }

  private static List<Integer> take(Subscription subscription, int count)
      throws InterruptedException {
    List<Integer> seen = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (seen.size() < count && System.nanoTime() < deadline) {
      for (LiveEvent event : subscription.next(Duration.ofMillis(200))) {
        seen.add(event.event().data().get("n").asInt());
      }
    }
    return seen;
  }

  private static List<Integer> range(int from, int count) {
    return java.util.stream.IntStream.range(from, from + count).boxed().toList();
  }

  @Test
  void aSubscriberSeesTheHistoryThenEveryLiveEventOnceInOrder() throws Exception {
    publish(0, 100);
    ExecutorService publisher = Executors.newSingleThreadExecutor();
    try (Subscription subscription = topics.subscribe("chat", "")) {
      Future<?> live =
          publisher.submit(
              () -> {
                for (int i = 100; i < 1100; i += 10) {
                  publish(i, 10);
                }
              });
      List<Integer> seen = take(subscription, 1100);
      live.get();
      assertThat(seen).isEqualTo(range(0, 1100));
      assertThat(subscription.next(Duration.ofMillis(50))).isEmpty();
    } finally {
      publisher.shutdown();
    }
  }

  @Test
  void aSubscriberResumesAfterItsLastIdExactlyOnce() throws Exception {
    List<String> ids = publish(0, 10);
    try (Subscription first = topics.subscribe("chat", "")) {
      assertThat(take(first, 10)).isEqualTo(range(0, 10));
    }
    publish(10, 5);
    try (Subscription resumed = topics.subscribe("chat", ids.get(6))) {
      assertThat(resumed.reset()).isEmpty();
      assertThat(take(resumed, 8)).isEqualTo(range(7, 8));
      publish(15, 3);
      assertThat(take(resumed, 3)).isEqualTo(range(15, 3));
    }
  }

  @Test
  void aSubscriberOfOnlyNewEventsStartsAtTheLatest() throws Exception {
    publish(0, 5);
    try (Subscription subscription = topics.subscribe("chat", topics.latest("chat"))) {
      publish(5, 2);
      assertThat(take(subscription, 2)).isEqualTo(range(5, 2));
    }
  }

  @Test
  void aTrimmedCursorIsReportedAsAResetToTheOldestRetainedEvent() throws Exception {
    List<String> ids = publish(0, 20);
    log.trimToLength("chat", 5);
    String oldest = log.info("chat").firstId().orElseThrow();
    try (Subscription subscription = topics.subscribe("chat", ids.get(2))) {
      assertThat(subscription.reset()).contains(oldest);
      List<Integer> seen = take(subscription, 20 - (ids.indexOf(oldest)));
      assertThat(seen.getFirst()).isEqualTo(ids.indexOf(oldest));
      assertThat(seen.getLast()).isEqualTo(19);
    }
  }

  @Test
  void aCursorAtTheNewestTrimmedEventMissedNothingAndIsNoReset() throws Exception {
    List<String> ids = publish(0, 20);
    log.trimToLength("chat", 5);
    int oldest = ids.indexOf(log.info("chat").firstId().orElseThrow());
    try (Subscription subscription = topics.subscribe("chat", ids.get(oldest - 1))) {
      assertThat(subscription.reset()).isEmpty();
      assertThat(take(subscription, 20 - oldest)).isEqualTo(range(oldest, 20 - oldest));
    }
  }

  @Test
  void aSlowSubscriberIsToldToReconnectAndPublishersAreNotHeldBack() throws Exception {
    runner.close();
    topics = new Topics(log, new Topics.Options(64, 32));
    runner = new AgentRunner(topics, Duration.ofMillis(2)).start();
    publish(0, 1);
    try (Subscription slow = topics.subscribe("chat", topics.latest("chat"));
        Subscription fast = topics.subscribe("chat", topics.latest("chat"))) {
      assertThat(slow.next(Duration.ofMillis(50))).isEmpty(); // joined the live feed
      List<Integer> seen = new ArrayList<>();
      for (int i = 1; i < 201; i += 20) {
        publish(i, 20);
        seen.addAll(take(fast, 20));
      }
      assertThat(seen).isEqualTo(range(1, 200));
      assertThatThrownBy(() -> slow.next(Duration.ofMillis(50)))
          .isInstanceOf(SubscriberTooSlowException.class)
          .hasMessageContaining("reconnect with the last id received to resume");
      // resuming from its last id (none received) loses nothing
      try (Subscription resumed = topics.subscribe("chat", slow.cursor())) {
        assertThat(take(resumed, 200)).isEqualTo(range(1, 200));
      }
    }
  }

  @Test
  void aStreamFollowedAgainAfterABacklogStartsItsFeedAtTheEnd() throws Exception {
    publish(0, 1);
    try (Subscription first = topics.subscribe("chat", topics.latest("chat"))) {
      publish(1, 1);
      assertThat(take(first, 1)).containsExactly(1);
    }
    for (int i = 2; i < 3002; i += 500) {
      publish(i, 500);
    }
    try (Subscription again = topics.subscribe("chat", topics.latest("chat"))) {
      publish(3002, 5);
      assertThat(take(again, 5)).isEqualTo(range(3002, 5));
    }
  }

  @Test
  void refusesACursorThatIsNotAnIdOrIsNewerThanTheStream() {
    List<String> ids = publish(0, 3);
    log.appendAll(
        "other",
        List.of(
            NewEvent.of(Json.object()),
            NewEvent.of(Json.object()),
            NewEvent.of(Json.object()),
            NewEvent.of(Json.object())));
    String newer = log.info("other").lastId().orElseThrow();
    assertThatThrownBy(() -> topics.subscribe("chat", "nonsense"))
        .isInstanceOf(IllegalArgumentException.class);
    if (log.compareIds(newer, ids.getLast()) > 0) {
      assertThatThrownBy(() -> topics.subscribe("chat", newer))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("newer than the newest event");
    }
    assertThat(topics.subscribers()).isZero();
  }

  @Test
  void everyWaitingSubscriberIsWokenForEveryBatch() throws Exception {
    publish(0, 1);
    int subscribers = 200;
    ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    try {
      List<Future<List<Integer>>> seen = new ArrayList<>();
      java.util.concurrent.CountDownLatch joined =
          new java.util.concurrent.CountDownLatch(subscribers);
      for (int s = 0; s < subscribers; s++) {
        seen.add(
            readers.submit(
                () -> {
                  try (Subscription subscription =
                      topics.subscribe("chat", topics.latest("chat"))) {
                    subscription.next(Duration.ofMillis(1)); // joins the live feed
                    joined.countDown();
                    return take(subscription, 300);
                  }
                }));
      }
      joined.await();
      for (int i = 1; i < 301; i += 3) {
        publish(i, 3);
        Thread.sleep(1);
      }
      for (Future<List<Integer>> one : seen) {
        assertThat(one.get()).isEqualTo(range(1, 300));
      }
    } finally {
      readers.shutdownNow();
    }
  }

  @Test
  void aWaitWithoutEventsEndsAtItsDeadline() throws Exception {
    publish(0, 1);
    try (Subscription subscription = topics.subscribe("chat", topics.latest("chat"))) {
      long start = System.nanoTime();
      assertThat(subscription.next(Duration.ofMillis(300))).isEmpty();
      long waitedMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(waitedMillis).isBetween(300L, 2_000L);
    }
  }
}
