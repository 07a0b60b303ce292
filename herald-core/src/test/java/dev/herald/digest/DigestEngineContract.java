package dev.herald.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.json.Json;
import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamInfo;
import dev.herald.notify.Notification;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The seller-scan stories, driven through the {@link DigestEngine} on a real backend. */
public abstract class DigestEngineContract implements BackendFixture {

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final ConcurrentLinkedQueue<Notification> emitted = new ConcurrentLinkedQueue<>();
  private final DigestListener collect =
      new DigestListener() {
        @Override
        public void onNotification(Notification notification) {
          emitted.add(notification);
        }
      };

  private static final DigestRule SELLER_SCANS =
      DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(resources);
    for (AutoCloseable resource : resources) {
      resource.close();
    }
  }

  private Backend backend(InstantSource clock) {
    Backend backend = openBackend(clock);
    resources.add(backend);
    return backend;
  }

  private DigestEngine engine(Backend backend, DigestRule rule, InstantSource clock) {
    return new DigestEngine(
        backend.log(),
        backend.digests(),
        List.of(rule),
        clock,
        DigestEngine.Options.defaults("test"),
        collect);
  }

  private static void scan(EventLog log, Object seller, String packageId) {
    ObjectNode data = Json.object();
    data.set("seller_id", Json.MAPPER.valueToTree(seller));
    data.put("package_id", packageId);
    log.append("scans", NewEvent.of(data));
  }

  private static void drain(DigestEngine engine) {
    while (engine.doWork() > 0) {
      // keep going until idle
    }
  }

  private List<String> itemsOf(Notification n) {
    return n.items().stream().map(JsonNode::asText).toList();
  }

  @Test
  void shouldNotifyOneHourAfterTheLastScan() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS, clock);
    scan(backend.log(), 10, "AAAAAA");
    scan(backend.log(), 10, "BBBBBB");
    scan(backend.log(), "10", "CCCCCC");
    drain(engine);

    clock.set(Instant.parse("2022-06-28T12:59:59.999Z"));
    drain(engine);
    assertThat(emitted).isEmpty();

    clock.set(Instant.parse("2022-06-28T13:00:00Z"));
    drain(engine);
    assertThat(emitted)
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.recipient()).isEqualTo("10");
              assertThat(itemsOf(n)).containsExactly("AAAAAA", "BBBBBB", "CCCCCC");
              assertThat(n.dueAt()).isEqualTo(Instant.parse("2022-06-28T13:00:00Z"));
              assertThat(n.createdAt()).isEqualTo(Instant.parse("2022-06-28T13:00:00Z"));
            });
  }

  @Test
  void shouldPutAnEventWithoutItsKeyInTheDeadLetterStreamAndGoOnWithTheNextScans() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS, clock);
    scan(backend.log(), 10, "AAAAAA");
    // written past the API, which would refuse it: no seller_id
    String bad =
        backend
            .log()
            .append("scans", NewEvent.of(Json.parseTrustedObject("{\"package_id\":\"X\"}")));
    scan(backend.log(), 10, "BBBBBB");
    drain(engine);

    clock.set(Instant.parse("2022-06-28T13:00:00Z"));
    drain(engine);
    assertThat(emitted)
        .singleElement()
        .satisfies(n -> assertThat(itemsOf(n)).containsExactly("AAAAAA", "BBBBBB"));
    assertThat(backend.log().read("scans.dead", "", 10))
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.data().get("consumer").asText()).isEqualTo("digest:seller-scans");
              assertThat(letter.data().get("source_event").asText()).isEqualTo("scans/" + bad);
              assertThat(letter.data().get("reason").asText()).contains("seller_id");
              assertThat(letter.data().get("event").get("package_id").asText()).isEqualTo("X");
            });
  }

  @Test
  void shouldSplitIntoAnIngesterAndACloserThatDoOnlyTheirHalf() throws Exception {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS, clock);
    var ingester = engine.ingester();
    var closer = engine.closer();
    assertThat(ingester.roleName()).isNotEqualTo(closer.roleName()).startsWith(engine.roleName());
    scan(backend.log(), 10, "AAAAAA");

    assertThat(closer.doWork()).as("the closer ingests nothing").isZero();
    assertThat(backend.digests().openBucketCount("seller-scans")).isZero();
    assertThat(ingester.doWork()).isEqualTo(1);
    assertThat(backend.digests().openBucketCount("seller-scans")).isEqualTo(1);

    clock.set(Instant.parse("2022-06-28T13:00:00Z"));
    assertThat(ingester.doWork()).as("the ingester closes nothing").isZero();
    assertThat(emitted).isEmpty();
    assertThat(closer.doWork()).isEqualTo(1);
    assertThat(emitted)
        .singleElement()
        .satisfies(n -> assertThat(itemsOf(n)).containsExactly("AAAAAA"));
  }

  @Test
  void shouldRestartTheHourWhenTheSellerScansAgain() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS, clock);
    for (String p : List.of("AAAAAA", "BBBBBB", "CCCCCC")) {
      scan(backend.log(), 10, p);
    }
    drain(engine);
    clock.set(Instant.parse("2022-06-28T12:30:00Z"));
    scan(backend.log(), 10, "DDDDDD");
    scan(backend.log(), 10, "EEEEEE");
    drain(engine);

    clock.set(Instant.parse("2022-06-28T13:00:00Z"));
    drain(engine);
    assertThat(emitted).as("nothing at 13:00").isEmpty();

    clock.set(Instant.parse("2022-06-28T13:30:00Z"));
    drain(engine);
    assertThat(emitted)
        .singleElement()
        .satisfies(
            n -> {
              assertThat(itemsOf(n))
                  .containsExactly("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE");
              assertThat(n.dueAt()).isEqualTo(Instant.parse("2022-06-28T13:30:00Z"));
            });
  }

  @Test
  void shouldNotifyOnlySellersWhoseQuietPeriodHasPassedWithPayloadTimes() {
    ManualClock clock = ManualClock.at("2022-06-28T19:35:25Z");
    Backend backend = backend(clock);
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofSeconds(5))
            .withTimeField("date_time");
    DigestEngine engine = engine(backend, rule, clock);
    String[][] scans = {
      {"10", "AAAAAA", "2022-06-28 19:35:00"},
      {"10", "BBBBBB", "2022-06-28 19:36:00"},
      {"10", "CCCCCC", "2022-06-28 19:36:30"},
      {"20", "XXXXXX", "2022-06-28 19:35:10"},
      {"20", "YYYYYY", "2022-06-28 19:35:20"},
      {"30", "ZZZZZZ", "2022-06-28 19:35:06"},
      {"30", "TTTTTT", "2022-06-28 19:35:08"},
    };
    for (String[] s : scans) {
      ObjectNode data = Json.object();
      data.put("seller_id", Integer.parseInt(s[0]));
      data.put("package_id", s[1]);
      data.put("date_time", s[2]);
      backend.log().append("scans", NewEvent.of(data));
    }

    drain(engine);

    Map<String, Notification> byRecipient = new HashMap<>();
    emitted.forEach(n -> byRecipient.put(n.recipient(), n));
    assertThat(byRecipient).containsOnlyKeys("20", "30");
    assertThat(itemsOf(byRecipient.get("20"))).containsExactly("XXXXXX", "YYYYYY");
    assertThat(byRecipient.get("20").dueAt()).isEqualTo(Instant.parse("2022-06-28T19:35:25Z"));
    assertThat(itemsOf(byRecipient.get("30"))).containsExactly("ZZZZZZ", "TTTTTT");
    assertThat(byRecipient.get("30").dueAt()).isEqualTo(Instant.parse("2022-06-28T19:35:13Z"));
    assertThat(backend.digests().openBucket("seller-scans", "10"))
        .hasValueSatisfying(
            b -> assertThat(b.dueAt()).isEqualTo(Instant.parse("2022-06-28T19:36:35Z")));
  }

  @Test
  void shouldNotifyAtMaxWaitWhenTheSellerKeepsScanningAndOpenANewBucketAfter() {
    ManualClock clock = ManualClock.at("2022-06-28T08:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS.withMaxWait(Duration.ofHours(4)), clock);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i <= 9; i++) {
      String p = "P" + i;
      scan(backend.log(), 10, p);
      sent.add(p);
      drain(engine);
      if (!emitted.isEmpty()) {
        break;
      }
      clock.advance(Duration.ofMinutes(30));
      drain(engine);
      if (!emitted.isEmpty()) {
        break;
      }
    }

    assertThat(emitted)
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.dueAt()).isEqualTo(Instant.parse("2022-06-28T12:00:00Z"));
              assertThat(n.createdAt()).isEqualTo(Instant.parse("2022-06-28T12:00:00Z"));
              assertThat(itemsOf(n)).containsExactlyElementsOf(sent);
              assertThat(n.items()).hasSize(8);
            });
    scan(backend.log(), 10, "NEXT");
    drain(engine);
    assertThat(backend.digests().openBucket("seller-scans", "10"))
        .hasValueSatisfying(
            b -> {
              assertThat(b.count()).isEqualTo(1);
              assertThat(b.firstAt()).isEqualTo(Instant.parse("2022-06-28T12:00:00Z"));
            });
  }

  @Test
  void shouldAddARedeliveredEventOnce() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    scan(backend.log(), 10, "AAAAAA");
    // A consumer that dies after the store made the item durable but before it acknowledged.
    backend
        .log()
        .createGroup("scans", SELLER_SCANS.consumerGroup(), dev.herald.log.GroupStart.EARLIEST);
    var delivered = backend.log().readGroup("scans", SELLER_SCANS.consumerGroup(), "dead", 10);
    backend
        .digests()
        .add(
            SELLER_SCANS,
            delivered.stream().map(e -> DigestItem.of(SELLER_SCANS, e)).toList(),
            clock.instant());

    // The lease passes on the injected clock; Redis measures idle time itself, so the engine runs
    // until it claimed the event, took it again and acknowledged it (in the background:
    // GroupReader)
    Duration lease = Duration.ofMillis(200);
    clock.advance(Duration.ofMinutes(1));
    DigestEngine engine =
        new DigestEngine(
            backend.log(),
            backend.digests(),
            List.of(SELLER_SCANS),
            clock,
            new DigestEngine.Options("test", 1000, lease),
            collect);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              clock.advance(
                  lease); // the engine looks for abandoned events once a lease has passed on its
              // clock
              drain(engine);
              assertThat(backend.log().info("scans").groups().getFirst().pending())
                  .as("the redelivery was acknowledged")
                  .isZero();
            });

    assertThat(backend.digests().openBucket("seller-scans", "10"))
        .hasValueSatisfying(b -> assertThat(b.count()).isEqualTo(1));
  }

  /**
   * A closer that goes by the close check it read (dueRecheck) still closes on time what its own
   * engine added after reading it, and reads the store again once the recheck time passed.
   */
  @Test
  void aCloserThatKeepsItsCloseCheckClosesWhatItsEngineAddedOnTime() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine =
        new DigestEngine(
            backend.log(),
            backend.digests(),
            List.of(SELLER_SCANS),
            clock,
            new DigestEngine.Options("test", 1000, Duration.ofSeconds(30))
                .withDueRecheck(Duration.ofHours(3)),
            collect);
    scan(backend.log(), 10, "P1");
    drain(engine);
    clock.advance(Duration.ofMinutes(30));
    scan(backend.log(), 20, "P2");
    drain(engine); // reads the close check (seller 10, due at 13:00) and keeps it

    clock.advance(Duration.ofMinutes(31));
    drain(engine);
    assertThat(emitted).extracting(Notification::recipient).containsExactly("10");

    // a bucket written to the store behind the engine's back (another process's, due at 13:02)
    // waits for the kept check (13:30): that process's own closer is the one to close it
    backend
        .digests()
        .add(
            SELLER_SCANS.withMaxWait(Duration.ofMinutes(1)),
            List.of(
                new DigestItem(
                    "x-1", 1_000_000, "30", clock.instant(), Json.MAPPER.valueToTree("P3"))),
            clock.instant());
    clock.advance(Duration.ofMinutes(4));
    drain(engine);
    assertThat(emitted).extracting(Notification::recipient).containsExactly("10");
    clock.advance(Duration.ofMinutes(25));
    drain(engine);
    assertThat(emitted).extracting(Notification::recipient).containsExactly("10", "30", "20");
  }

  @Test
  void shouldIngestTheBatchItReadAheadBeforeItStops() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    for (int i = 0; i < 25; i++) {
      scan(backend.log(), i % 5, "P" + i);
    }
    DigestEngine engine =
        new DigestEngine(
            backend.log(),
            backend.digests(),
            List.of(SELLER_SCANS),
            clock,
            new DigestEngine.Options("test", 10, Duration.ofSeconds(30)),
            collect);

    assertThat(engine.doWork()).as("one full batch").isEqualTo(10);
    // a full batch means a backlog: the reader has fetched the next one ahead, for this consumer
    await().atMost(Duration.ofSeconds(5)).until(() -> scansGroup(backend).pending() == 10);
    engine.onClose();

    assertThat(scansGroup(backend).pending())
        .as("the batch read ahead was ingested and acknowledged")
        .isZero();
    assertThat(backend.digests().openItems("seller-scans", "0"))
        .extracting(JsonNode::asText)
        .containsExactly("P0", "P5", "P10", "P15");

    DigestEngine next = engine(backend, SELLER_SCANS, clock);
    drain(next);
    assertThat(backend.digests().openItems("seller-scans", "0"))
        .extracting(JsonNode::asText)
        .containsExactly("P0", "P5", "P10", "P15", "P20");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(scansGroup(backend).pending()).isZero());
  }

  private static StreamInfo.GroupInfo scansGroup(Backend backend) {
    return backend.log().info("scans").groups().getFirst();
  }

  @Test
  void shouldSkipAndAcknowledgeAnEventWithoutTheKey() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    Backend backend = backend(clock);
    DigestEngine engine = engine(backend, SELLER_SCANS, clock);
    ObjectNode noSeller = Json.object();
    noSeller.put("package_id", "AAAAAA");
    backend.log().append("scans", NewEvent.of(noSeller));
    scan(backend.log(), 10, "BBBBBB");

    drain(engine);

    assertThat(backend.digests().openItems("seller-scans", "10"))
        .extracting(JsonNode::asText)
        .containsExactly("BBBBBB");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(backend.log().info("scans").groups().getFirst().pending()).isZero());
  }

  @Test
  void shouldPutEveryScanInExactlyOneNotificationWhen16ThreadsScanWhileBucketsClose()
      throws Exception {
    InstantSource clock = InstantSource.system();
    Backend backend = backend(clock);
    // maxWait closes the bucket every 50 ms although scans never pause: closing races appending.
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofMillis(20))
            .withMaxWait(Duration.ofMillis(50));
    DigestEngine engine = engine(backend, rule, clock);
    AgentRunner runner = new AgentRunner(engine, Duration.ofMillis(1)).start();
    resources.add(runner);

    int threads = 16;
    int perThread = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                  scan(backend.log(), 10, thread + "-" + i);
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                backend.digests().openBucketCount("seller-scans") == 0
                    && backend.log().info("scans").groups().getFirst().lag() == 0
                    && backend.log().info("scans").groups().getFirst().pending() == 0);

    List<String> all = emitted.stream().flatMap(n -> itemsOf(n).stream()).toList();
    assertThat(emitted.size())
        .as("scans were split across several closing buckets")
        .isGreaterThan(1);
    assertThat(all).hasSize(threads * perThread).doesNotHaveDuplicates();
  }
}
