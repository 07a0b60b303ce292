package dev.herald.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.log.EventLog;
import dev.herald.retry.RetryPolicy;
import dev.herald.testing.ManualClock;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A webhook's name in deliveries, metrics and logs, and the deliveries stored under the name
 * earlier versions used.
 */
class WebhookSinkNamesTest {

  @Test
  void shouldNameAWebhookByItsHostAndAHashOfItsUrlNeverByTheUrl() {
    WebhookSink slack =
        WebhookSink.of(
            URI.create("https://hooks.slack.com/services/T000/B000/XXXX"), Optional.empty());
    WebhookSink other =
        WebhookSink.of(
            URI.create("https://hooks.slack.com/services/T000/B000/YYYY"), Optional.empty());

    assertThat(slack.name())
        .matches("webhook:hooks\\.slack\\.com#[0-9a-f]{8}")
        .doesNotContain("XXXX");
    assertThat(other.name()).isNotEqualTo(slack.name());
    assertThat(
            WebhookSink.of(
                    URI.create("https://hooks.slack.com/services/T000/B000/XXXX"), Optional.empty())
                .name())
        .as("stable while the URL is")
        .isEqualTo(slack.name());
    assertThat(new WebhookSink("ops-slack", slack.url(), Optional.empty()).name())
        .isEqualTo("webhook:ops-slack");
  }

  @Test
  void shouldStillDeliverWhatAnEarlierVersionStoredUnderTheWholeUrl() throws Exception {
    AtomicInteger posts = new AtomicInteger();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          posts.incrementAndGet();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    try {
      WebhookSink sink =
          WebhookSink.of(
              URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook/s3cret"),
              Optional.empty());
      ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
      Notification notification =
          new Notification(
              "n-1",
              "seller-scans",
              "10",
              List.of(TextNode.valueOf("AAAAAA")),
              clock.instant(),
              clock.instant(),
              clock.instant(),
              clock.instant());
      List<DeliveryOutcome> recorded = new ArrayList<>();
      NotificationStore store =
          store(List.of(new DeliveryTask(notification, sink.legacyName(), 1)), recorded);
      EventLog log =
          (EventLog)
              Proxy.newProxyInstance(
                  EventLog.class.getClassLoader(),
                  new Class<?>[] {EventLog.class},
                  (p, m, a) -> {
                    throw new AssertionError(
                        "nothing is appended when a delivery succeeds: " + m.getName());
                  });

      NotificationDispatcher dispatcher =
          new NotificationDispatcher(
              store,
              log,
              Map.of("seller-scans", List.of(sink)),
              RetryPolicy.DELIVERY,
              "notifications.failed",
              clock,
              DeliveryListener.NONE);
      dispatcher.doWork();
      dispatcher.onClose();

      assertThat(posts).hasValue(1);
      assertThat(recorded)
          .singleElement()
          .satisfies(outcome -> assertThat(outcome.succeeded()).isTrue());
    } finally {
      receiver.stop(0);
    }
  }

  /** A store that hands out the given tasks once and keeps what is recorded. */
  private static NotificationStore store(List<DeliveryTask> due, List<DeliveryOutcome> recorded) {
    List<DeliveryTask> left = new ArrayList<>(due);
    return (NotificationStore)
        Proxy.newProxyInstance(
            NotificationStore.class.getClassLoader(),
            new Class<?>[] {NotificationStore.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "takeDue" -> {
                    List<DeliveryTask> taken = List.copyOf(left);
                    left.clear();
                    yield taken;
                  }
                  case "record" -> {
                    @SuppressWarnings("unchecked")
                    List<DeliveryOutcome> outcomes = (List<DeliveryOutcome>) args[0];
                    recorded.addAll(outcomes);
                    yield null;
                  }
                  case "nextDeliveryDue" -> Optional.<Instant>empty();
                  default -> throw new AssertionError("unexpected call " + method.getName());
                });
  }
}
