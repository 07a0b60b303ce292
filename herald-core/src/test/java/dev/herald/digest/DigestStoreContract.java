package dev.herald.digest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.herald.notify.LogSink;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationStore;
import dev.herald.notify.StreamSink;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link DigestStore} contract, run once per backend ({@link
 * dev.herald.notify.NotificationStoreContract} has the outbox's).
 */
public abstract class DigestStoreContract implements BackendFixture {

  protected final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  protected DigestStore store;
  protected NotificationStore outbox;
  private final AtomicInteger eventIds = new AtomicInteger();

  private static final Duration LEASE = Duration.ofSeconds(60);

  protected final DigestRule rule =
      DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1))
          .withDeliver(List.of(new LogSink(), new StreamSink("notifications")));

  @BeforeEach
  void open() {
    Backend backend = openTracked();
    store = backend.digests();
    outbox = backend.notifications();
  }

  private Backend openTracked() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    return backend;
  }

  @AfterEach
  void closeAll() {
    Collections.reverse(opened);
    opened.forEach(Backend::close);
  }

  protected DigestItem item(String key, String packageId, Instant time) {
    return item(eventIds.incrementAndGet(), key, packageId, time);
  }

  /**
   * The item of the event at {@code position}, whose id is not a number: ids are opaque to state
   * stores, which may keep the positions instead.
   */
  protected DigestItem item(long position, String key, String packageId, Instant time) {
    return new DigestItem("event:" + position, position, key, time, TextNode.valueOf(packageId));
  }

  private static List<String> texts(List<JsonNode> items) {
    return items.stream().map(JsonNode::asText).toList();
  }

  @Test
  void shouldOpenABucketAndMoveItsDeadlineWithEachItem() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon)), noon);
    store.add(rule, List.of(item("10", "BBBBBB", noon.plus(Duration.ofMinutes(30)))), noon);

    Bucket bucket = store.openBucket("seller-scans", "10").orElseThrow();
    assertThat(bucket.count()).isEqualTo(2);
    assertThat(bucket.firstAt()).isEqualTo(noon);
    assertThat(bucket.lastAt()).isEqualTo(noon.plus(Duration.ofMinutes(30)));
    assertThat(bucket.dueAt()).isEqualTo(Instant.parse("2022-06-28T13:30:00Z"));
    assertThat(store.nextDue("seller-scans")).contains(bucket.dueAt());
    assertThat(texts(store.openItems("seller-scans", "10"))).containsExactly("AAAAAA", "BBBBBB");
    assertThat(store.openBucketCount("seller-scans")).isEqualTo(1);
  }

  @Test
  void shouldCapTheDeadlineAtMaxWaitSinceTheFirstItem() {
    DigestRule capped = rule.withMaxWait(Duration.ofHours(4));
    Instant noon = clock.instant();
    store.add(
        capped,
        List.of(item("10", "A", noon), item("10", "B", noon.plus(Duration.ofMinutes(210)))),
        noon);

    assertThat(store.openBucket("seller-scans", "10").orElseThrow().dueAt())
        .isEqualTo(noon.plus(Duration.ofHours(4)));
  }

  @Test
  void shouldAddAnEventOnceEvenWhenItIsAddedAgain() {
    Instant noon = clock.instant();
    DigestItem scan = item("10", "AAAAAA", noon);
    store.add(rule, List.of(scan, scan), noon);
    store.add(rule, List.of(scan), noon);

    assertThat(store.openBucket("seller-scans", "10").orElseThrow().count()).isEqualTo(1);
  }

  @Test
  void shouldSkipOnlyTheTakenEventsOfABatchRedeliveredAfterNewerOnes() {
    Instant noon = clock.instant();
    store.add(
        rule,
        List.of(item(101, "10", "A", noon), item(102, "10", "B", noon), item(103, "10", "C", noon)),
        noon);
    store.add(rule, List.of(item(201, "10", "D", noon), item(202, "10", "E", noon)), noon);
    store.add(rule, List.of(item(105, "10", "F", noon)), noon);

    // an abandoned batch claimed late: 102 and 103 were taken, 104 and 106 were not, 105 was
    store.add(
        rule,
        List.of(
            item(102, "10", "B", noon),
            item(103, "10", "C", noon),
            item(104, "10", "G", noon),
            item(105, "10", "F", noon),
            item(106, "10", "H", noon),
            item(202, "10", "E", noon)),
        noon);
    store.add(rule, List.of(item(104, "10", "G", noon), item(100, "10", "I", noon)), noon);

    Notification n = store.flush(rule, "10", noon).orElseThrow();
    assertThat(texts(n.items()))
        .containsExactlyInAnyOrder("A", "B", "C", "D", "E", "F", "G", "H", "I");
  }

  @Test
  void shouldIgnoreAnEventRedeliveredAfterItsBucketClosed() {
    Instant noon = clock.instant();
    DigestItem scan = item("10", "AAAAAA", noon);
    store.add(rule, List.of(scan), noon);
    store.closeDue(rule, noon.plus(Duration.ofHours(1)), 10);

    store.add(rule, List.of(scan), noon.plus(Duration.ofHours(1)));

    assertThat(store.openBucket("seller-scans", "10")).isEmpty();
  }

  @Test
  void shouldCloseOnlyDueBucketsListingEveryItemInTimeOrder() {
    Instant noon = clock.instant();
    store.add(
        rule,
        List.of(
            item("10", "CCCCCC", noon.plusSeconds(2)),
            item("10", "AAAAAA", noon),
            item("10", "BBBBBB", noon.plusSeconds(1)),
            item("20", "XXXXXX", noon.plus(Duration.ofMinutes(10)))),
        noon);

    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(60)), 10)).isEmpty();
    List<Notification> closed = store.closeDue(rule, noon.plus(Duration.ofMinutes(61)), 10);

    assertThat(closed)
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.recipient()).isEqualTo("10");
              assertThat(texts(n.items())).containsExactly("AAAAAA", "BBBBBB", "CCCCCC");
              assertThat(n.firstAt()).isEqualTo(noon);
              assertThat(n.lastAt()).isEqualTo(noon.plusSeconds(2));
              assertThat(n.dueAt()).isEqualTo(noon.plusSeconds(2).plus(Duration.ofHours(1)));
              assertThat(n.createdAt()).isEqualTo(noon.plus(Duration.ofMinutes(61)));
            });
    assertThat(store.openBucket("seller-scans", "10")).isEmpty();
    assertThat(store.openBucket("seller-scans", "20")).isPresent();
    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(61)), 10))
        .as("closed once")
        .isEmpty();
  }

  @Test
  void shouldCloseAtMostTheLimitPerCallAndTheRestOnLaterCalls() {
    Instant noon = clock.instant();
    List<DigestItem> items = new ArrayList<>();
    for (int seller = 0; seller < 40; seller++) {
      items.add(item("s" + seller, "P", noon));
    }
    store.add(rule, items, noon);
    Instant later = noon.plus(Duration.ofHours(2));

    List<String> closed = new ArrayList<>();
    for (int limit : List.of(1, 3, 1, 20)) {
      List<Notification> batch = store.closeDue(rule, later, limit);
      assertThat(batch).hasSizeLessThanOrEqualTo(limit);
      batch.forEach(n -> closed.add(n.recipient()));
    }
    while (store.openBucketCount("seller-scans") > 0) {
      List<Notification> batch = store.closeDue(rule, later, 1);
      assertThat(batch).as("a limit of 1 still reaches every bucket in turn").hasSize(1);
      closed.add(batch.getFirst().recipient());
    }
    assertThat(closed).hasSize(40).doesNotHaveDuplicates();
  }

  @Test
  void shouldCloseABucketWhoseDeadlineMovedOnlyAtItsNewDeadline() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "A", noon)), noon);
    store.add(rule, List.of(item("20", "X", noon.plus(Duration.ofMinutes(10)))), noon);
    store.add(rule, List.of(item("10", "B", noon.plus(Duration.ofMinutes(30)))), noon);

    assertThat(store.nextDue("seller-scans"))
        .as("seller 20 is due first now")
        .contains(noon.plus(Duration.ofMinutes(70)));
    assertThat(store.nextCloseCheck("seller-scans").orElseThrow())
        .isBeforeOrEqualTo(noon.plus(Duration.ofMinutes(70)));
    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(60)), 10))
        .as("10's first deadline passed, but it moved")
        .isEmpty();
    assertThat(store.nextCloseCheck("seller-scans").orElseThrow())
        .isAfter(noon.plus(Duration.ofMinutes(60)));
    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(70)), 10))
        .extracting(Notification::recipient)
        .containsExactly("20");
    assertThat(store.nextDue("seller-scans")).contains(noon.plus(Duration.ofMinutes(90)));
    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(89)), 10)).isEmpty();
    assertThat(store.closeDue(rule, noon.plus(Duration.ofMinutes(90)), 10))
        .singleElement()
        .satisfies(n -> assertThat(texts(n.items())).containsExactly("A", "B"));
    assertThat(store.nextDue("seller-scans")).isEmpty();
    assertThat(store.nextCloseCheck("seller-scans")).isEmpty();
  }

  @Test
  void shouldCloseTheEarliestDueFirstWhenMoreAreDueThanTheLimit() {
    Instant noon = clock.instant();
    // opened in this order, but the later ones moved their deadlines less: due order is reversed
    for (int seller = 0; seller < 5; seller++) {
      store.add(
          rule, List.of(item("s" + seller, "P", noon.plus(Duration.ofMinutes(seller)))), noon);
    }
    for (int seller = 0; seller < 5; seller++) {
      store.add(
          rule,
          List.of(item("s" + seller, "Q", noon.plus(Duration.ofMinutes(30 - 5 * seller)))),
          noon);
    }
    Instant later = noon.plus(Duration.ofHours(2));

    assertThat(store.closeDue(rule, later, 2))
        .extracting(Notification::recipient)
        .containsExactly("s4", "s3");
    assertThat(store.closeDue(rule, later, 10))
        .extracting(Notification::recipient)
        .containsExactly("s2", "s1", "s0");
  }

  @Test
  void shouldCloseAtTheCapWhenAnEarlierDatedItemMovesMaxWaitForward() {
    DigestRule capped = rule.withMaxWait(Duration.ofHours(2));
    Instant noon = clock.instant();
    store.add(capped, List.of(item("10", "B", noon)), noon);
    // dated 90 minutes before the first: the cap (first + 2 h) comes before the quiet deadline
    store.add(capped, List.of(item("10", "A", noon.minus(Duration.ofMinutes(90)))), noon);

    assertThat(store.nextDue("seller-scans")).contains(noon.plus(Duration.ofMinutes(30)));
    assertThat(store.nextCloseCheck("seller-scans").orElseThrow())
        .isBeforeOrEqualTo(noon.plus(Duration.ofMinutes(30)));
    assertThat(store.closeDue(capped, noon.plus(Duration.ofMinutes(30)), 10))
        .singleElement()
        .satisfies(n -> assertThat(texts(n.items())).containsExactly("A", "B"));
  }

  @Test
  void shouldGiveTheSameBucketTheSameNotificationId() {
    Instant noon = clock.instant();
    DigestItem first = item("10", "AAAAAA", noon);
    store.add(rule, List.of(first), noon);

    Notification n = store.flush(rule, "10", noon).orElseThrow();

    assertThat(n.id()).isEqualTo(Notification.idFor("seller-scans", "10", first.eventId()));
  }

  @Test
  void shouldCloseAFullBucketAtOnceAndOpenANewOneForTheNextItem() {
    DigestRule three = rule.withMaxItems(3);
    Instant noon = clock.instant();
    List<DigestItem> items = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      items.add(item("10", "P" + i, noon.plusSeconds(i)));
    }

    List<Notification> full = store.add(three, items, noon);

    assertThat(full)
        .extracting(n -> texts(n.items()))
        .containsExactly(List.of("P0", "P1", "P2"), List.of("P3", "P4", "P5"));
    assertThat(texts(store.openItems("seller-scans", "10"))).containsExactly("P6");
  }

  @Test
  void shouldFlushTheOpenBucketNowOrReportThereIsNone() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon)), noon);

    assertThat(store.flush(rule, "10", noon.plusSeconds(5)))
        .hasValueSatisfying(n -> assertThat(texts(n.items())).containsExactly("AAAAAA"));
    assertThat(store.flush(rule, "10", noon.plusSeconds(5))).isEmpty();
    assertThat(store.flush(rule, "unknown", noon)).isEmpty();
  }

  @Test
  void shouldKeepKeysAndItemsWithQuotesNewlinesAndNonAsciiTextIntact() {
    Instant noon = clock.instant();
    String key = "seller \"10\"\nläger ✓";
    store.add(
        rule,
        List.of(item(key, "line\nbreak \"q\" ✓", noon), item(key, "two", noon.plusSeconds(1))),
        noon);

    assertThat(store.openBucket("seller-scans", key)).isPresent();
    Notification n = store.flush(rule, key, noon.plusSeconds(5)).orElseThrow();
    assertThat(n.recipient()).isEqualTo(key);
    assertThat(texts(n.items())).containsExactly("line\nbreak \"q\" ✓", "two");
    assertThat(outbox.find(n.id()))
        .hasValueSatisfying(
            stored -> {
              assertThat(stored.recipient()).isEqualTo(key);
              assertThat(texts(stored.items())).containsExactly("line\nbreak \"q\" ✓", "two");
            });
  }

  @Test
  void shouldListOpenBucketsByKeyPageByPage() {
    Instant noon = clock.instant();
    store.add(
        rule, List.of(item("30", "Z", noon), item("10", "A", noon), item("20", "X", noon)), noon);

    assertThat(store.openBuckets("seller-scans", "", 2))
        .extracting(Bucket::key)
        .containsExactly("10", "20");
    assertThat(store.openBuckets("seller-scans", "20", 2))
        .extracting(Bucket::key)
        .containsExactly("30");
  }

  @Test
  void shouldCloseEachBucketOnceWhenManyClosersRace() throws Exception {
    Instant noon = clock.instant();
    List<DigestItem> items = new ArrayList<>();
    for (int seller = 0; seller < 200; seller++) {
      items.add(item(Integer.toString(seller), "P", noon));
    }
    store.add(rule, items, noon);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<Notification> closed = new ConcurrentLinkedQueue<>();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      futures.add(
          pool.submit(
              () -> {
                start.await();
                List<Notification> batch;
                do {
                  batch = store.closeDue(rule, noon.plus(Duration.ofHours(2)), 7);
                  closed.addAll(batch);
                } while (!batch.isEmpty());
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    assertThat(closed).hasSize(200);
    assertThat(closed).extracting(Notification::recipient).doesNotHaveDuplicates();
  }

  @Test
  void shouldKeepOpenBucketsAndTheirDeadlinesAcrossARestart() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon), item("10", "BBBBBB", noon)), noon);
    opened.getLast().close();
    opened.removeLast();

    DigestStore reopened = openTracked().digests();

    assertThat(reopened.nextDue("seller-scans")).contains(noon.plus(Duration.ofHours(1)));
    assertThat(reopened.closeDue(rule, noon.plus(Duration.ofHours(1)), 10))
        .singleElement()
        .satisfies(n -> assertThat(texts(n.items())).containsExactly("AAAAAA", "BBBBBB"));
  }
}
