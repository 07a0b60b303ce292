package dev.herald.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.alert.Alert;
import dev.herald.alert.AlertBoard;
import dev.herald.alert.InboxMonitor;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamInfo;
import dev.herald.process.FailurePolicy;
import dev.herald.route.Directories;
import dev.herald.route.Directory;
import dev.herald.route.RouteEngine;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reviews story, step by step, through the route and inbox engines and the monitor on a real
 * backend, with a manual clock.
 */
public abstract class ReviewsStoryContract implements BackendFixture {

  private final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  private final RouteRule route =
      RouteRule.of(
          "review-recipients",
          "reviews",
          "brand",
          "brand-users",
          "reviews.by-user",
          "reviews.invalid");
  private final InboxRule inbox =
      InboxRule.of("reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));
  private EventLog log;
  private InboxStore inboxes;
  private Directories directories;
  private AlertBoard alerts;
  private RouteEngine router;
  private InboxEngine inboxEngine;
  private InboxMonitor monitor;

  @BeforeEach
  void open() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    log = backend.log();
    inboxes = backend.inboxes();
    directories =
        new Directories(
            List.of(
                Directory.parse(
                    "brand-users", Json.parseTrusted("{\"Brand1\": [1, 2], \"Brand2\": [4]}"))),
            d -> {});
    alerts = new AlertBoard(log, "alerts", clock);
    RouteListener raiseInvalid =
        new RouteListener() {
          @Override
          public void onInvalid(RouteRule rule, Event event, String reason, String invalidId) {
            alerts.raise(Alert.INVALID_EVENT, rule.invalid() + "/" + invalidId, reason);
          }
        };
    router =
        new RouteEngine(
            log,
            directories,
            List.of(route),
            clock,
            "test",
            1000,
            Duration.ofSeconds(30),
            FailurePolicy.defaults(),
            raiseInvalid);
    inboxEngine =
        new InboxEngine(
            log,
            inboxes,
            List.of(inbox),
            clock,
            "test",
            1000,
            Duration.ofSeconds(30),
            FailurePolicy.defaults(),
            InboxEngine.Listener.NONE);
    monitor = new InboxMonitor(inboxes, List.of(inbox), alerts, clock, Duration.ofSeconds(1));
  }

  @AfterEach
  void closeAll() {
    opened.forEach(Backend::close);
  }

  private void review(String brand, String review, String action, Object userId) {
    ObjectNode data = Json.object();
    data.put("brand", brand);
    data.put("review_id", review);
    data.put("action", action);
    if (userId != null) {
      data.set("user_id", Json.MAPPER.valueToTree(userId));
    }
    log.append("reviews", NewEvent.of(data));
  }

  private void drain() {
    int work;
    do {
      work = router.doWork() + inboxEngine.doWork() + alerts.doWork();
    } while (work > 0);
  }

  private List<String> keys(String recipient) {
    return inboxes.peek("reviews", recipient).stream().map(InboxItem::key).toList();
  }

  @Test
  void aReviewReachesEveryUserResponsibleForItsBrand() {
    review("Brand1", "r1", "created", null);
    review("Brand2", "r2", "created", null);
    drain();

    assertThat(keys("1")).containsExactly("r1");
    assertThat(keys("2")).containsExactly("r1");
    assertThat(keys("4")).containsExactly("r2");
    List<Event> routed = log.read("reviews.by-user", "", 10);
    assertThat(routed)
        .extracting(e -> e.data().get("recipient").asText())
        .containsExactly("1", "2", "4");
    assertThat(routed.getFirst().data().get("source_event").asText()).startsWith("reviews/");
  }

  @Test
  void updatesOfOneReviewCoalesceIntoItsLatestVersionWithTheNumberOfChanges() {
    review("Brand1", "r7", "created", null);
    drain();
    for (int i = 1; i <= 3; i++) {
      clock.advance(Duration.ofSeconds(1));
      review("Brand1", "r7", "updated " + i, null);
    }
    drain();

    List<InboxItem> items = inboxes.peek("reviews", "1");
    assertThat(items).hasSize(1);
    assertThat(items.getFirst().data().get("action").asText()).isEqualTo("updated 3");
    assertThat(items.getFirst().changes()).isEqualTo(4);
    assertThat(items.getFirst().lastAt()).isEqualTo(Instant.parse("2022-06-28T12:00:03Z"));
  }

  @Test
  void aPullTakesTheWholeBatchAndRecordsItsTime() {
    review("Brand1", "r1", "created", null);
    review("Brand1", "r7", "created", null);
    review("Brand1", "r7", "updated", null);
    drain();
    clock.advance(Duration.ofSeconds(5));

    InboxPull pull = inboxes.pull("reviews", "1", clock.instant());

    assertThat(pull.items()).extracting(InboxItem::key).containsExactly("r1", "r7");
    assertThat(pull.items().get(1).changes()).isEqualTo(2);
    assertThat(pull.pulledAt()).isEqualTo(clock.instant());
    assertThat(inboxes.summary("reviews", "1").orElseThrow().lastPulledAt())
        .contains(clock.instant());
    assertThat(keys("1")).isEmpty();
    assertThat(keys("2")).containsExactly("r1", "r7");
  }

  @Test
  void reviewsWithNoValidRecipientAreKeptAsideWithTheReasonAndAlerted() {
    review("Brand9", "r3", "created", null);
    review("Brand1", "r4", "created", 9);
    review("Brand1", "r5", "created", 2);
    drain();

    List<Event> invalid = log.read("reviews.invalid", "", 10);
    assertThat(invalid)
        .extracting(e -> e.data().get("reason").asText())
        .containsExactly(
            "unknown brand 'Brand9': directory 'brand-users' does not list it",
            "user_id 9 is not responsible for brand 'Brand1' (directory 'brand-users' lists [1, 2])");
    assertThat(invalid.getFirst().data().get("event").get("review_id").asText()).isEqualTo("r3");
    assertThat(keys("2")).containsExactly("r5");
    assertThat(keys("1")).isEmpty();
    assertThat(keys("9")).isEmpty();

    List<Alert> raised =
        log.read("alerts", "", 10).stream()
            .map(e -> Alert.fromJson(e.data()).orElseThrow())
            .toList();
    assertThat(raised)
        .extracting(Alert::type)
        .containsExactly(Alert.INVALID_EVENT, Alert.INVALID_EVENT);
    assertThat(raised)
        .extracting(Alert::subject)
        .containsExactly(
            "reviews.invalid/" + invalid.get(0).id(), "reviews.invalid/" + invalid.get(1).id());
    assertThat(raised.getFirst().detail()).contains("Brand9");
    assertThat(alerts.active()).isEmpty();
  }

  @Test
  void staleInboxesRaiseAnAlertThatAPullOrACleanResolves() {
    review("Brand1", "r1", "created", null);
    review("Brand2", "r2", "created", null);
    drain();

    clock.advance(Duration.ofSeconds(10));
    inboxes.pull("reviews", "1", clock.instant());
    monitor.doWork();
    assertThat(log.read("alerts", "", 10)).as("monitoring stays quiet while all is well").isEmpty();

    clock.advance(Duration.ofSeconds(11));
    monitor.doWork();
    assertThat(alerts.active())
        .extracting(Alert::subject)
        .containsExactly("reviews/2", "reviews/4");
    assertThat(alerts.active().getFirst().detail())
        .contains("1 pending item", "PT20S", "last pulled never");
    clock.advance(Duration.ofSeconds(1));
    monitor.doWork();
    assertThat(log.read("alerts", "", 10)).as("an active alert is raised once").hasSize(2);

    inboxes.pull("reviews", "2", clock.instant());
    assertThat(inboxes.clean("reviews", "4")).isTrue();
    clock.advance(Duration.ofSeconds(1));
    monitor.doWork();

    assertThat(alerts.active()).isEmpty();
    List<Alert> history =
        log.read("alerts", "", 10).stream()
            .map(e -> Alert.fromJson(e.data()).orElseThrow())
            .toList();
    assertThat(history).hasSize(4);
    assertThat(history.subList(2, 4)).allSatisfy(a -> assertThat(a.resolvedAt()).isPresent());
    assertThat(history.subList(2, 4))
        .extracting(Alert::detail)
        .containsExactlyInAnyOrder(
            "inbox reviews/2 was pulled at 2022-06-28T12:00:22Z", "inbox reviews/4 was cleaned");

    AlertBoard another = new AlertBoard(log, "alerts", clock).catchUp();
    assertThat(another.active())
        .as("another process folds the same stream to the same state")
        .isEmpty();
  }

  @Test
  void moreStaleInboxesThanOneCheckAlertsAreAlertedByTheNextChecks() {
    ObjectNode data = Json.object();
    data.put("review_id", "r1");
    List<InboxDelivery> deliveries = new ArrayList<>();
    int count = InboxMonitor.CHECK_LIMIT + 5;
    for (int r = 0; r < count; r++) {
      deliveries.add(new InboxDelivery("d-" + r, "u" + r, "r1", clock.instant(), data));
    }
    inboxes.add(inbox, deliveries, clock.instant());
    clock.advance(Duration.ofSeconds(21));

    monitor.check(inbox, clock.instant());
    assertThat(alerts.active()).hasSize(InboxMonitor.CHECK_LIMIT);
    monitor.check(inbox, clock.instant());
    assertThat(alerts.active()).hasSize(count);
    monitor.check(inbox, clock.instant());
    assertThat(log.read("alerts", "", 2 * count)).as("each raised once").hasSize(count);
  }

  @Test
  void aNewItemInAPulledInboxStartsItsStaleClockAfresh() {
    review("Brand2", "r1", "created", null);
    drain();
    clock.advance(Duration.ofSeconds(19));
    inboxes.pull("reviews", "4", clock.instant());
    review("Brand2", "r2", "created", null);
    drain();
    clock.advance(Duration.ofSeconds(19));
    monitor.doWork();
    assertThat(alerts.active()).isEmpty();
    clock.advance(Duration.ofSeconds(2));
    monitor.doWork();
    assertThat(alerts.active()).extracting(Alert::subject).containsExactly("reviews/4");
  }

  @Test
  void aReplacedDirectoryTakesEffectForTheNextEvent() {
    review("Brand2", "r1", "created", null);
    drain();
    directories.replace(
        Directory.parse(
            "brand-users", Json.parseTrusted("{\"Brand1\": [1, 2], \"Brand2\": [5, 6]}")));
    review("Brand2", "r2", "created", null);
    drain();

    assertThat(keys("4")).containsExactly("r1");
    assertThat(keys("5")).containsExactly("r2");
    assertThat(keys("6")).containsExactly("r2");
  }

  @Test
  void routeAndInboxEnginesThatStopFinishTheBatchTheyReadAhead() {
    for (int i = 0; i < 6; i++) {
      review("Brand1", "r" + i, "created", null);
    }
    // batches of 2 reviews: a full one makes the reader fetch the next one ahead
    RouteEngine stopping =
        new RouteEngine(
            log,
            directories,
            List.of(route),
            clock,
            "stopping",
            2,
            Duration.ofSeconds(30),
            FailurePolicy.defaults(),
            RouteListener.NONE);
    assertThat(stopping.doWork()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> group("reviews").pending() == 2);
    stopping.onClose();

    assertThat(group("reviews").pending())
        .as("the batch read ahead was routed and acknowledged")
        .isZero();
    assertThat(log.read("reviews.by-user", "", 100)).as("4 reviews for 2 users").hasSize(8);

    InboxEngine stoppingInbox =
        new InboxEngine(
            log,
            inboxes,
            List.of(inbox),
            clock,
            "stopping",
            4,
            Duration.ofSeconds(30),
            FailurePolicy.defaults(),
            InboxEngine.Listener.NONE);
    assertThat(stoppingInbox.doWork()).isEqualTo(4);
    await().atMost(Duration.ofSeconds(5)).until(() -> group("reviews.by-user").pending() == 4);
    stoppingInbox.onClose();

    assertThat(group("reviews.by-user").pending())
        .as("the batch read ahead was delivered and acknowledged")
        .isZero();
    assertThat(keys("1")).containsExactly("r0", "r1", "r2", "r3");
    drain();
    assertThat(keys("1")).containsExactly("r0", "r1", "r2", "r3", "r4", "r5");
  }

  private StreamInfo.GroupInfo group(String stream) {
    return log.info(stream).groups().getFirst();
  }

  @Test
  void aReviewRoutedTwiceAfterACrashCountsOnce() {
    review("Brand2", "r1", "created", null);
    drain();
    // what a router that died before acknowledging writes again: a new event, same source
    Event routed = log.read("reviews.by-user", "", 1).getFirst();
    log.append("reviews.by-user", NewEvent.of(routed.data().deepCopy()));
    drain();

    assertThat(log.read("reviews.by-user", "", 10)).hasSize(2);
    assertThat(inboxes.peek("reviews", "4").getFirst().changes()).isEqualTo(1);
  }
}
