package dev.herald.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link InboxStore} contract, run once per backend. */
public abstract class InboxStoreContract implements BackendFixture {

  protected final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  protected InboxStore store;

  protected final InboxRule rule =
      InboxRule.of("reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));

  @BeforeEach
  void open() {
    store = openTracked().inboxes();
  }

  private Backend openTracked() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    return backend;
  }

  @AfterEach
  void closeAll() {
    opened.forEach(Backend::close);
  }

  private InboxDelivery delivery(String recipient, String review, String action, Instant time) {
    return delivery("e" + ids.incrementAndGet(), recipient, review, action, time);
  }

  private static InboxDelivery delivery(
      String dedupe, String recipient, String review, String action, Instant time) {
    ObjectNode data = Json.object();
    data.put("review_id", review);
    data.put("action", action);
    data.put("recipient", recipient);
    return new InboxDelivery(dedupe, recipient, review, time, data);
  }

  @Test
  void coalescesChangesOfOneItemIntoItsLatestVersion() {
    Instant t0 = clock.instant();
    int added =
        store.add(
            rule,
            List.of(
                delivery("1", "r7", "created", t0),
                delivery("1", "r8", "created", t0.plusSeconds(1)),
                delivery("1", "r7", "updated", t0.plusSeconds(2))),
            t0);
    store.add(rule, List.of(delivery("1", "r7", "updated", t0.plusSeconds(3))), t0.plusSeconds(3));

    assertThat(added).isEqualTo(3);
    List<InboxItem> items = store.peek("reviews", "1");
    assertThat(items).extracting(InboxItem::key).containsExactly("r7", "r8");
    InboxItem r7 = items.getFirst();
    assertThat(r7.changes()).isEqualTo(3);
    assertThat(r7.data().get("action").asText()).isEqualTo("updated");
    assertThat(r7.firstAt()).isEqualTo(t0);
    assertThat(r7.lastAt()).isEqualTo(t0.plusSeconds(3));
    assertThat(store.peek("reviews", "1")).hasSize(2);
  }

  @Test
  void anOlderChangeArrivingLateCountsButDoesNotReplaceTheLatestData() {
    Instant t0 = clock.instant();
    store.add(rule, List.of(delivery("1", "r7", "v2", t0.plusSeconds(10))), t0);
    store.add(rule, List.of(delivery("1", "r7", "v1", t0)), t0);

    InboxItem r7 = store.peek("reviews", "1").getFirst();
    assertThat(r7.data().get("action").asText()).isEqualTo("v2");
    assertThat(r7.changes()).isEqualTo(2);
    assertThat(r7.firstAt()).isEqualTo(t0);
    assertThat(r7.lastAt()).isEqualTo(t0.plusSeconds(10));
  }

  @Test
  void pullTakesEverythingOnceAndRecordsItsTime() {
    Instant t0 = clock.instant();
    store.add(
        rule,
        List.of(
            delivery("1", "r1", "created", t0),
            delivery("1", "r2", "created", t0),
            delivery("2", "r1", "created", t0)),
        t0);

    InboxPull pull = store.pull("reviews", "1", t0.plusSeconds(5));

    assertThat(pull.recipient()).isEqualTo("1");
    assertThat(pull.items()).extracting(InboxItem::key).containsExactly("r1", "r2");
    assertThat(pull.pulledAt()).isEqualTo(t0.plusSeconds(5));
    assertThat(store.pull("reviews", "1", t0.plusSeconds(6)).items()).isEmpty();
    assertThat(store.peek("reviews", "2")).hasSize(1);
    InboxSummary one = store.summary("reviews", "1").orElseThrow();
    assertThat(one.pending()).isZero();
    assertThat(one.oldestPendingAt()).isEmpty();
    assertThat(one.lastPulledAt()).contains(t0.plusSeconds(6));
  }

  @Test
  void pullingAnUnknownRecipientGivesNothingAndCreatesNothing() {
    InboxPull pull = store.pull("reviews", "nobody", clock.instant());

    assertThat(pull.items()).isEmpty();
    assertThat(store.summary("reviews", "nobody")).isEmpty();
    assertThat(store.list("reviews", "", 10)).isEmpty();
  }

  @Test
  void aDuplicateDeliveryCountsOnceEvenAfterAPull() {
    Instant t0 = clock.instant();
    InboxDelivery first = delivery("reviews/1-0|1", "1", "r7", "created", t0);
    assertThat(store.add(rule, List.of(first, first), t0)).isEqualTo(1);
    store.pull("reviews", "1", t0.plusSeconds(1));

    assertThat(store.add(rule, List.of(first), t0.plusSeconds(2))).isZero();
    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.add(rule, List.of(delivery("reviews/1-0|2", "2", "r7", "created", t0)), t0))
        .isEqualTo(1);
  }

  @Test
  void aLargeBatchSkipsExactlyItsDuplicatesWhereverTheyAre() {
    Instant t0 = clock.instant();
    // added before: every 97th of 1,000 deliveries, two of them already pulled
    List<InboxDelivery> earlier = new ArrayList<>();
    for (int i = 0; i < 1000; i += 97) {
      earlier.add(delivery("big-" + i, "u" + (i % 7), "r" + i, "created", t0));
    }
    assertThat(store.add(rule, earlier, t0)).isEqualTo(earlier.size());
    store.pull("reviews", "u0", t0);
    // a batch larger than one statement of most stores, repeating some of its own deliveries too
    List<InboxDelivery> batch = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      batch.add(delivery("big-" + i, "u" + (i % 7), "r" + i, "updated", t0.plusSeconds(1)));
      if (i % 250 == 3) {
        batch.add(delivery("big-" + i, "u" + (i % 7), "r" + i, "updated", t0.plusSeconds(1)));
      }
    }
    int fresh = 1000 - earlier.size();
    assertThat(store.add(rule, batch, t0.plusSeconds(2))).isEqualTo(fresh);

    long pendingItems = 0;
    long changes = 0;
    for (int u = 0; u < 7; u++) {
      for (InboxItem item : store.peek("reviews", "u" + u)) {
        pendingItems++;
        changes += item.changes();
      }
    }
    int pulledBefore = (int) earlier.stream().filter(d -> d.recipient().equals("u0")).count();
    assertThat(pendingItems)
        .as("one item per review, except those pulled and not delivered again")
        .isEqualTo(1000 - pulledBefore);
    assertThat(changes).as("each delivery counted once").isEqualTo(1000 - pulledBefore);
  }

  @Test
  void aDuplicateIsForgottenAfterTheDedupeWindow() {
    InboxRule shortWindow =
        new InboxRule(
            "reviews",
            "reviews.by-user",
            "recipient",
            "review_id",
            Duration.ofSeconds(20),
            Duration.ofMinutes(1));
    Instant t0 = clock.instant();
    InboxDelivery first = delivery("reviews/1-0|1", "1", "r7", "created", t0);
    store.add(shortWindow, List.of(first), t0);
    store.pull("reviews", "1", t0);

    assertThat(store.add(shortWindow, List.of(first), t0.plus(Duration.ofMinutes(2)))).isEqualTo(1);
  }

  @Test
  void cleanRemovesTheInboxAndItsPullRecord() {
    Instant t0 = clock.instant();
    store.add(
        rule, List.of(delivery("1", "r1", "created", t0), delivery("2", "r2", "created", t0)), t0);
    store.pull("reviews", "2", t0);
    store.add(rule, List.of(delivery("2", "r3", "created", t0)), t0);

    assertThat(store.clean("reviews", "1")).isTrue();
    assertThat(store.clean("reviews", "2")).isTrue();

    assertThat(store.clean("reviews", "1")).isFalse();
    assertThat(store.summary("reviews", "1")).isEmpty();
    assertThat(store.summary("reviews", "2")).isEmpty();
    assertThat(store.peek("reviews", "2")).isEmpty();
    assertThat(store.stats("reviews")).isEqualTo(new InboxStats(0, 0, java.util.Optional.empty()));
  }

  @Test
  void staleFindsInboxesByTheirOldestPendingArrival() {
    Instant t0 = clock.instant();
    store.add(rule, List.of(delivery("1", "r1", "created", t0)), t0);
    store.add(rule, List.of(delivery("2", "r2", "created", t0)), t0.plusSeconds(10));
    store.add(rule, List.of(delivery("1", "r3", "created", t0)), t0.plusSeconds(15));
    store.add(rule, List.of(delivery("3", "r4", "created", t0)), t0.plusSeconds(30));

    assertThat(store.stale("reviews", t0.plusSeconds(10), 10))
        .extracting(InboxSummary::recipient)
        .containsExactly("1", "2");
    assertThat(store.stale("reviews", t0.plusSeconds(10), 1))
        .extracting(InboxSummary::recipient)
        .containsExactly("1");
    InboxSummary one = store.stale("reviews", t0.plusSeconds(10), 1).getFirst();
    assertThat(one.pending()).isEqualTo(2);
    assertThat(one.oldestPendingAt()).contains(t0);

    assertThat(store.staleRecipients("reviews", t0.plusSeconds(10), 10))
        .containsExactlyInAnyOrder("1", "2");
    assertThat(store.staleRecipients("reviews", t0.plusSeconds(10), 1))
        .hasSize(1)
        .isSubsetOf("1", "2");

    store.pull("reviews", "1", t0.plusSeconds(31));
    assertThat(store.stale("reviews", t0.plusSeconds(30), 10))
        .extracting(InboxSummary::recipient)
        .containsExactly("2", "3");
    assertThat(store.staleRecipients("reviews", t0.plusSeconds(30), 10))
        .containsExactlyInAnyOrder("2", "3");
    assertThat(store.stats("reviews"))
        .isEqualTo(new InboxStats(2, 2, java.util.Optional.of(t0.plusSeconds(10))));
  }

  @Test
  void staleRecipientsKeepsRecipientsWithAnyText() {
    Instant t0 = clock.instant();
    String odd = "Zoë: 1,2 ✓";
    store.add(rule, List.of(delivery(odd, "r1", "created", t0)), t0);
    store.add(rule, List.of(delivery("7", "r2", "created", t0)), t0.plusSeconds(1));

    assertThat(store.staleRecipients("reviews", t0.plusSeconds(1), 10))
        .containsExactlyInAnyOrder(odd, "7");
  }

  @Test
  void listsInboxesByRecipientPageByPage() {
    Instant t0 = clock.instant();
    List<InboxDelivery> deliveries = new ArrayList<>();
    for (int user = 1; user <= 25; user++) {
      deliveries.add(delivery(String.format("u%02d", user), "r1", "created", t0));
    }
    store.add(rule, deliveries, t0);
    store.pull("reviews", "u03", t0);

    List<String> seen = new ArrayList<>();
    String after = "";
    for (List<InboxSummary> page;
        !(page = store.list("reviews", after, 10)).isEmpty();
        after = page.getLast().recipient()) {
      page.forEach(s -> seen.add(s.recipient()));
    }
    assertThat(seen).hasSize(25).isSorted();
    assertThat(store.summary("reviews", "u03").orElseThrow().pending()).isZero();
    assertThat(store.list("other", "", 10)).isEmpty();
  }

  @Test
  void inboxSetsAreIndependent() {
    InboxRule other =
        InboxRule.of("mentions", "mentions", "recipient", "review_id", Duration.ofSeconds(20));
    Instant t0 = clock.instant();
    store.add(rule, List.of(delivery("d1", "1", "r1", "created", t0)), t0);
    store.add(other, List.of(delivery("d1", "1", "r1", "created", t0)), t0);

    assertThat(store.peek("reviews", "1")).hasSize(1);
    assertThat(store.peek("mentions", "1")).hasSize(1);
    store.pull("mentions", "1", t0);
    assertThat(store.peek("reviews", "1")).hasSize(1);
  }

  @Test
  void survivesARestart() {
    Instant t0 = clock.instant();
    store.add(rule, List.of(delivery("d1", "1", "r1", "created", t0)), t0);
    opened.getFirst().close();
    opened.removeFirst();

    InboxStore reopened = openTracked().inboxes();
    assertThat(reopened.peek("reviews", "1")).extracting(InboxItem::key).containsExactly("r1");
    assertThat(reopened.add(rule, List.of(delivery("d1", "1", "r1", "created", t0)), t0)).isZero();
  }

  /**
   * 8 threads push updates to 1,000 reviews while 4 threads pull: every change is counted in
   * exactly one pull, and the last pull of each review carries its final version.
   */
  @Test
  void concurrentUpdatesAndPullsLoseAndDuplicateNothing() throws Exception {
    int reviews = 1000;
    int writers = 8;
    int updatesPerWriter = 2500;
    List<String> users = List.of("1", "2", "3", "4");
    ExecutorService pool = Executors.newFixedThreadPool(writers + users.size());
    AtomicBoolean writing = new AtomicBoolean(true);
    ConcurrentLinkedQueue<InboxPull> pulls = new ConcurrentLinkedQueue<>();
    AtomicInteger version = new AtomicInteger();
    Map<String, Integer> finalVersion = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      List<Future<?>> writes = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        writes.add(
            pool.submit(
                () -> {
                  java.util.Random random = new java.util.Random(writer);
                  for (int i = 0; i < updatesPerWriter; i += 50) {
                    List<InboxDelivery> batch = new ArrayList<>();
                    for (int j = 0; j < 50; j++) {
                      String review = "r" + random.nextInt(reviews);
                      String user = users.get(Math.floorMod(review.hashCode(), users.size()));
                      int v = version.incrementAndGet();
                      finalVersion.merge(review, v, Math::max);
                      ObjectNode data = Json.object();
                      data.put("review_id", review);
                      data.put("version", v);
                      // the version is the time too, so "latest by time" is "highest version"
                      batch.add(
                          new InboxDelivery(
                              "w" + writer + "-" + (i + j),
                              user,
                              review,
                              Instant.EPOCH.plusMillis(v),
                              data));
                    }
                    store.add(rule, batch, clock.instant());
                  }
                  return null;
                }));
      }
      List<Future<?>> pullers = new ArrayList<>();
      for (String user : users) {
        pullers.add(
            pool.submit(
                () -> {
                  while (writing.get()) {
                    pulls.add(store.pull("reviews", user, clock.instant()));
                  }
                  pulls.add(store.pull("reviews", user, clock.instant()));
                  return null;
                }));
      }
      for (Future<?> write : writes) {
        write.get();
      }
      writing.set(false);
      for (Future<?> puller : pullers) {
        puller.get();
      }
    } finally {
      pool.shutdownNow();
    }

    int counted = 0;
    Map<String, Integer> deliveredVersion = new HashMap<>();
    for (InboxPull pull : pulls) {
      for (InboxItem item : pull.items()) {
        counted += item.changes();
        deliveredVersion.merge(item.key(), item.data().get("version").asInt(), Math::max);
      }
    }
    assertThat(counted)
        .as("each change counted in exactly one pull")
        .isEqualTo(writers * updatesPerWriter);
    for (String user : users) {
      assertThat(store.peek("reviews", user)).isEmpty();
    }
    // writers race, so an older version may land after a pull took a newer one; what must hold is
    // that the final version of every review was delivered
    List<String> missing =
        finalVersion.entrySet().stream()
            .filter(e -> !e.getValue().equals(deliveredVersion.get(e.getKey())))
            .map(Map.Entry::getKey)
            .toList();
    assertThat(missing).as("reviews whose final version was never delivered").isEmpty();
    assertThat(deliveredVersion).hasSameSizeAs(finalVersion);
  }
}
