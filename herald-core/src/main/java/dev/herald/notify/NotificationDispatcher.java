package dev.herald.notify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.agent.Agent;
import dev.herald.json.Json;
import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import dev.herald.retry.RetryPolicy;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox's due deliveries to their sinks and records each attempt.
 *
 * <p>Delivery is at least once: an attempt whose outcome was not recorded (crash) is made again,
 * with the same notification id, which receivers use as the idempotency key. A failed attempt is
 * retried after the {@link RetryPolicy}'s backoff; when the policy gives up, the delivery is marked
 * failed and the notification is appended to the {@code failedStream} with the reason. Webhooks of
 * one batch are called in parallel on virtual threads.
 *
 * <p>Thread ownership: {@link #doWork()} is called by one runner thread.
 */
public final class NotificationDispatcher implements Agent {

  private static final Logger LOG = LoggerFactory.getLogger(NotificationDispatcher.class);
  private static final int BATCH = 500;
  private static final Duration WEBHOOK_TIMEOUT = Duration.ofSeconds(10);
  // Longer than a batch can take (webhooks run in parallel, each bounded by its timeout).
  private static final Duration LEASE = Duration.ofSeconds(60);

  private final NotificationStore store;
  private final EventLog log;
  private final Map<String, Map<String, Sink>> sinksByRule;
  private final RetryPolicy retryPolicy;
  private final String failedStream;
  private final InstantSource clock;
  private final DeliveryListener listener;
  private final HttpClient http;
  private final ExecutorService webhookCalls = Executors.newVirtualThreadPerTaskExecutor();

  public NotificationDispatcher(
      NotificationStore store,
      EventLog log,
      Map<String, List<Sink>> sinksByRule,
      RetryPolicy retryPolicy,
      String failedStream,
      InstantSource clock,
      DeliveryListener listener) {
    this.store = Objects.requireNonNull(store, "store");
    this.log = Objects.requireNonNull(log, "log");
    this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
    this.failedStream = Objects.requireNonNull(failedStream, "failedStream");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    Map<String, Map<String, Sink>> byRule = new LinkedHashMap<>();
    sinksByRule.forEach(
        (rule, sinks) -> {
          Map<String, Sink> byName = new LinkedHashMap<>();
          sinks.forEach(
              s -> {
                byName.put(s.name(), s);
                if (s instanceof WebhookSink webhook) {
                  byName.putIfAbsent(webhook.legacyName(), s);
                }
              });
          byRule.put(rule, byName);
        });
    this.sinksByRule = byRule;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .executor(webhookCalls)
            .build();
  }

  @Override
  public int doWork() throws InterruptedException {
    List<DeliveryTask> due = store.takeDue(clock.instant(), LEASE, BATCH);
    if (due.isEmpty()) {
      return 0;
    }
    List<DeliveryOutcome> outcomes = new ArrayList<>(due.size());
    Map<String, List<DeliveryTask>> byStream = new LinkedHashMap<>();
    Map<DeliveryTask, Future<String>> calls = new LinkedHashMap<>();
    for (DeliveryTask task : due) {
      Optional<Sink> sink =
          Optional.ofNullable(
              sinksByRule.getOrDefault(task.notification().rule(), Map.of()).get(task.sink()));
      if (sink.isEmpty()) {
        outcomes.add(
            giveUp(
                task,
                "sink "
                    + Redaction.redact(task.sink())
                    + " is no longer configured for rule "
                    + task.notification().rule()));
        continue;
      }
      switch (sink.get()) {
        case LogSink logSink -> {
          Notification n = task.notification();
          LOG.info(
              "notification {} rule={} recipient={} items={}",
              n.id(),
              n.rule(),
              n.recipient(),
              Json.write(n.items()));
          outcomes.add(success(task, "logged"));
        }
        case StreamSink streamSink ->
            byStream.computeIfAbsent(streamSink.stream(), s -> new ArrayList<>()).add(task);
        case WebhookSink webhook ->
            calls.put(task, webhookCalls.submit(() -> post(webhook, task.notification())));
      }
    }
    byStream.forEach((stream, tasks) -> outcomes.addAll(appendToStream(stream, tasks)));
    for (Map.Entry<DeliveryTask, Future<String>> call : calls.entrySet()) {
      outcomes.add(outcomeOf(call.getKey(), call.getValue()));
    }
    store.record(outcomes);
    outcomes.forEach(listener::onOutcome);
    reportGivenUp(outcomes);
    return due.size();
  }

  private List<DeliveryOutcome> appendToStream(String stream, List<DeliveryTask> tasks) {
    List<NewEvent> events =
        tasks.stream().map(t -> NewEvent.of(t.notification().toJson())).toList();
    try {
      log.appendAll(stream, events);
      return tasks.stream().map(t -> success(t, "appended to " + stream)).toList();
    } catch (RuntimeException e) {
      return tasks.stream()
          .map(t -> failure(t, "append to " + stream + " failed: " + e.getMessage()))
          .toList();
    }
  }

  private String post(WebhookSink webhook, Notification notification) throws Exception {
    byte[] body = Json.write(notification.toJson()).getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(webhook.url())
            .timeout(WEBHOOK_TIMEOUT)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", notification.id())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    webhook
        .secret()
        .ifPresent(
            secret -> request.header(WebhookSignature.HEADER, WebhookSignature.sign(secret, body)));
    HttpResponse<Void> response =
        http.send(request.build(), HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() / 100 != 2) {
      throw new WebhookRejectedException("HTTP " + response.statusCode());
    }
    return "HTTP " + response.statusCode();
  }

  private DeliveryOutcome outcomeOf(DeliveryTask task, Future<String> call)
      throws InterruptedException {
    try {
      return success(task, call.get());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String detail =
          cause instanceof WebhookRejectedException ? cause.getMessage() : cause.toString();
      return failure(task, detail);
    }
  }

  private DeliveryOutcome success(DeliveryTask task, String detail) {
    return new DeliveryOutcome(task, clock.instant(), true, detail, Optional.empty());
  }

  private DeliveryOutcome failure(DeliveryTask task, String detail) {
    Instant now = clock.instant();
    return new DeliveryOutcome(
        task,
        now,
        false,
        Redaction.redact(detail),
        retryPolicy.delayAfter(task.attempt()).map(now::plus));
  }

  private DeliveryOutcome giveUp(DeliveryTask task, String detail) {
    return new DeliveryOutcome(
        task, clock.instant(), false, Redaction.redact(detail), Optional.empty());
  }

  private void reportGivenUp(List<DeliveryOutcome> outcomes) {
    List<NewEvent> failed = new ArrayList<>();
    for (DeliveryOutcome outcome : outcomes) {
      if (outcome.gaveUp()) {
        ObjectNode record = Json.object();
        record.set("notification", outcome.task().notification().toJson());
        record.put("sink", Redaction.redact(outcome.task().sink()));
        record.put("attempts", outcome.task().attempt());
        record.put("error", outcome.detail());
        failed.add(NewEvent.of(record));
        LOG.warn(
            "gave up delivering notification {} to {} after {} attempts: {}",
            outcome.task().notification().id(),
            Redaction.redact(outcome.task().sink()),
            outcome.task().attempt(),
            outcome.detail());
      }
    }
    if (!failed.isEmpty()) {
      log.appendAll(failedStream, failed);
    }
  }

  @Override
  public void onClose() {
    webhookCalls.shutdownNow();
  }

  @Override
  public String roleName() {
    return "herald-dispatcher";
  }

  private static final class WebhookRejectedException extends Exception {
    WebhookRejectedException(String message) {
      super(message, null, false, false);
    }
  }
}
