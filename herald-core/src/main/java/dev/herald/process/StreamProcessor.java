package dev.herald.process;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupConsumer;
import dev.herald.log.IdempotencyKey;
import dev.herald.log.NewEvent;
import dev.herald.log.StoreUnavailableException;
import dev.herald.process.BatchHandler.Rejection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one consumer loop: reads a stream through its group (new events, and those other consumers
 * abandoned), hands each batch to a {@link BatchHandler}, acknowledges it once the handler made its
 * effect durable, and applies one failure policy ({@link FailurePolicy}).
 *
 * <ul>
 *   <li>An event the handler rejects goes to the dead-letter stream at once.
 *   <li>When a store is unavailable ({@link StoreUnavailableException}) the batch is kept and tried
 *       again after a backoff, for as long as that lasts: no event is to blame. The exception is
 *       rethrown so that the agent running the processor counts the failure and health shows it.
 *   <li>Any other failure of a batch makes the processor try its events one at a time, so that one
 *       bad event does not hold up the others; an event that fails is tried again after a growing,
 *       jittered backoff, and after {@code maxAttempts} tries it goes to the dead-letter stream.
 *   <li>An event delivered more than {@code maxAttempts} times without being acknowledged (each
 *       consumer it went to stopped while processing it) goes to the dead-letter stream untried.
 * </ul>
 *
 * <p>A dead letter is {@code {"reason","consumer","attempts","source_event","event"}} with the
 * source event's time; it is appended with an idempotency key made of the consumer group and the
 * event, and the event acknowledged after it, so a crash in between neither loses the event nor
 * writes it twice.
 *
 * <p>While it retries an event, the processor takes no new events of its stream: the stream's order
 * is kept, and the wait is bounded (each backoff is at most half the lease, so that no other
 * consumer takes the event meanwhile).
 *
 * <p>Thread ownership: {@link #poll} and {@link #close} are called by one thread.
 */
public final class StreamProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(StreamProcessor.class);

  /** How long a dead letter's idempotency key is remembered: longer than any redelivery takes. */
  private static final Duration DEAD_LETTER_KEY_KEEP = Duration.ofHours(24);

  private static final int MAX_REASON_CHARS = 2_000;

  private final EventLog log;
  private final GroupConsumer.Settings settings;
  private final GroupConsumer consumer;
  private final BatchHandler handler;
  private final FailurePolicy policy;
  private final String deadLetterStream;
  private final Duration maxDelay;
  private final DoubleSupplier random;

  /** A batch kept while the store is unavailable, tried again at {@link #retryAt}. */
  private List<Event> waiting = List.of();

  private int unavailableTries;

  /** The events of a failed batch, tried one at a time; the head is tried at {@link #retryAt}. */
  private final ArrayDeque<Event> oneByOne = new ArrayDeque<>();

  /** Failed tries of the head of {@link #oneByOne} in this process. */
  private int headFailures;

  private Instant retryAt = Instant.MIN;

  public StreamProcessor(
      EventLog log, GroupConsumer.Settings settings, BatchHandler handler, FailurePolicy policy) {
    this(log, settings, handler, policy, () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * @param random uniform in [0, 1), drawn for each backoff's jitter
   */
  public StreamProcessor(
      EventLog log,
      GroupConsumer.Settings settings,
      BatchHandler handler,
      FailurePolicy policy,
      DoubleSupplier random) {
    this.log = Objects.requireNonNull(log, "log");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.handler = Objects.requireNonNull(handler, "handler");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.random = Objects.requireNonNull(random, "random");
    this.deadLetterStream = policy.deadLetterStream(settings.group(), settings.stream());
    this.maxDelay = settings.lease().dividedBy(2);
    this.consumer = log.consumer(settings);
  }

  public String stream() {
    return settings.stream();
  }

  public String group() {
    return settings.group();
  }

  /** Where this processor puts the events it gives up. */
  public String deadLetterStream() {
    return deadLetterStream;
  }

  /**
   * Processes what is due at {@code now}: a batch or event whose retry is due, else new and
   * abandoned events. Returns how many events were finished (acknowledged).
   *
   * @throws StoreUnavailableException when a store is unavailable; the events are kept and tried
   *     again on a later call
   */
  public int poll(Instant now) {
    if (!oneByOne.isEmpty()) {
      return oneByOne(now);
    }
    if (!waiting.isEmpty()) {
      if (now.isBefore(retryAt)) {
        return 0;
      }
      List<Event> batch = waiting;
      waiting = List.of();
      return process(batch, now);
    }
    int done = process(consumer.fresh(), now);
    if (oneByOne.isEmpty() && waiting.isEmpty()) {
      done += process(consumer.abandoned(now), now);
    }
    return done;
  }

  /**
   * Processes the events the consumer fetched ahead, then stops it. Events still kept for a retry
   * stay pending: another consumer takes them after the lease.
   */
  public void close(Instant now) {
    consumer.close(events -> process(events, now));
  }

  private int process(List<Event> batch, Instant now) {
    if (batch.isEmpty()) {
      return 0;
    }
    int maxAttempts = policy.retry().maxAttempts();
    List<Event> tried = batch;
    List<String> givenUp = new ArrayList<>();
    if (batch.stream().anyMatch(e -> e.deliveries() > maxAttempts)) {
      tried = new ArrayList<>(batch.size());
      for (Event event : batch) {
        if (event.deliveries() > maxAttempts) {
          int attempts = event.deliveries() - 1;
          deadLetter(
              event,
              "delivered "
                  + attempts
                  + " times and never acknowledged: each consumer it went to stopped while"
                  + " processing it",
              attempts);
          givenUp.add(event.id());
        } else {
          tried.add(event);
        }
      }
    }
    if (tried.isEmpty()) {
      consumer.ack(givenUp);
      return batch.size();
    }
    List<Rejection> rejected;
    try {
      rejected = handler.handle(tried);
    } catch (StoreUnavailableException e) {
      keepForTheStore(tried, now, givenUp);
      throw e;
    } catch (RuntimeException e) {
      if (!givenUp.isEmpty()) {
        consumer.ack(givenUp);
      }
      if (tried.size() > 1) {
        LOG.warn(
            "{} failed on a batch of {} events of '{}'; trying them one at a time: {}",
            settings.group(),
            tried.size(),
            settings.stream(),
            describe(e));
        oneByOne.addAll(tried);
        headFailures = 0;
        retryAt = Instant.MIN;
        return givenUp.size() + oneByOne(now);
      }
      oneByOne.add(tried.getFirst());
      headFailures = 0;
      failed(tried.getFirst(), e, now);
      return givenUp.size() + (oneByOne.isEmpty() ? 1 : 0);
    }
    unavailableTries = 0;
    try {
      for (Rejection rejection : rejected) {
        deadLetter(rejection.event(), rejection.reason(), tries(rejection.event(), 1));
      }
    } catch (StoreUnavailableException e) {
      // the handler's effect is durable and idempotent: trying the batch again repeats nothing
      keepForTheStore(tried, now, givenUp);
      throw e;
    }
    List<String> ids = new ArrayList<>(batch.size());
    ids.addAll(givenUp);
    for (Event event : tried) {
      ids.add(event.id());
    }
    consumer.ack(ids);
    return batch.size();
  }

  private void keepForTheStore(List<Event> tried, Instant now, List<String> givenUp) {
    if (!givenUp.isEmpty()) {
      consumer.ack(givenUp);
    }
    waiting = tried;
    unavailableTries++;
    retryAt = now.plus(delay(unavailableTries));
  }

  /** Tries the held events one at a time, the head first, while their retries are due. */
  private int oneByOne(Instant now) {
    int done = 0;
    while (!oneByOne.isEmpty()) {
      if (now.isBefore(retryAt)) {
        return done;
      }
      Event event = oneByOne.peek();
      List<Rejection> rejected;
      try {
        rejected = handler.handle(List.of(event));
      } catch (StoreUnavailableException e) {
        unavailableTries++;
        retryAt = now.plus(delay(unavailableTries));
        throw e;
      } catch (RuntimeException e) {
        if (!failed(event, e, now)) {
          return done;
        }
        done++;
        continue;
      }
      unavailableTries = 0;
      if (!rejected.isEmpty()) {
        deadLetter(event, rejected.getFirst().reason(), tries(event, headFailures + 1));
      }
      finishHead(event);
      done++;
    }
    return done;
  }

  /**
   * Counts a failed try of the head event: schedules its next try, or gives it up when it has had
   * its tries. Returns whether it was given up (and so finished).
   */
  private boolean failed(Event event, RuntimeException e, Instant now) {
    headFailures++;
    int tries = tries(event, headFailures);
    int maxAttempts = policy.retry().maxAttempts();
    if (tries >= maxAttempts) {
      deadLetter(event, describe(e), tries);
      finishHead(event);
      return true;
    }
    Duration delay = delay(tries);
    retryAt = now.plus(delay);
    LOG.warn(
        "{} failed on event {}/{} (try {} of {}); trying again in {} ms: {}",
        settings.group(),
        event.stream(),
        event.id(),
        tries,
        maxAttempts,
        delay.toMillis(),
        describe(e));
    policy.listener().onRetry(settings.group(), event, tries, delay, e);
    return false;
  }

  private void finishHead(Event event) {
    consumer.ack(List.of(event.id()));
    oneByOne.poll();
    headFailures = 0;
    retryAt = Instant.MIN;
  }

  /** Tries of an event so far: one per earlier delivery that was never acknowledged, and ours. */
  private static int tries(Event event, int triesHere) {
    return Math.max(0, event.deliveries() - 1) + triesHere;
  }

  private Duration delay(int failedTries) {
    Duration delay = policy.retry().backoff(failedTries, random);
    return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
  }

  private void deadLetter(Event event, String reason, int attempts) {
    ObjectNode letter = Json.object();
    letter.put("reason", reason);
    letter.put("consumer", settings.group());
    letter.put("attempts", attempts);
    letter.put("source_event", event.stream() + "/" + event.id());
    letter.set("event", event.data());
    String key = deadLetterKey(event);
    // the key is its own fingerprint: a second delivery of the event, after an acknowledgement
    // that was lost, appends nothing however its reason or count of tries differs
    log.appendAll(
        deadLetterStream,
        List.of(new NewEvent(Optional.of(event.time()), letter)),
        new IdempotencyKey(key, key, DEAD_LETTER_KEY_KEEP));
    LOG.warn(
        "{} gave up event {}/{} after {} tries and put it in stream '{}': {}",
        settings.group(),
        event.stream(),
        event.id(),
        attempts,
        deadLetterStream,
        reason);
    policy.listener().onDeadLettered(settings.group(), event, reason, attempts, deadLetterStream);
  }

  /** One key per consumer group and event, short enough for any log's key limit. */
  private String deadLetterKey(Event event) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] hash =
          sha.digest(
              (settings.group() + '\0' + event.stream() + '\0' + event.id())
                  .getBytes(StandardCharsets.UTF_8));
      return "dead-letter:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static String describe(RuntimeException e) {
    String text = e.getMessage() == null ? e.getClass().getName() : e.toString();
    return text.length() > MAX_REASON_CHARS ? text.substring(0, MAX_REASON_CHARS) + "…" : text;
  }
}
