package dev.herald.log;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an engine consumes a stream through its consumer group: new events on every call, and, at
 * most every half lease, the events another consumer took and left unacknowledged for longer than
 * the lease (it died), so that they are processed again here.
 *
 * <p><b>Read-ahead</b>: when a call hands out a full batch, there is a backlog, so the reader
 * fetches the next batch on a thread of its own while the engine applies this one. Without it the
 * store's writer sat idle while the engine parsed each batch, and the engine while the writer
 * applied it. Events read ahead are pending for this consumer like any others: the next {@link
 * #fresh()} returns them, and {@link #close} hands those never returned to the engine to finish
 * before it stops (a crash leaves them to the lease, like any batch). For an engine that reads the
 * events' trees, the read-ahead thread builds them too ({@code parseAhead}); one that reads only
 * their text (the inbox engine) builds none.
 *
 * <p>Thread ownership: used by one engine thread.
 */
public final class GroupReader implements GroupConsumer {

  private static final Logger LOG = LoggerFactory.getLogger(GroupReader.class);

  private final EventLog log;
  private final String stream;
  private final String group;
  private final String consumer;
  private final int batchSize;
  private final Duration lease;
  private final boolean parseAhead;
  private Instant nextClaim = Instant.MIN;

  /** At most one read in flight; its thread ends after a second without work. */
  private final ThreadPoolExecutor readAhead;

  private Future<List<Event>> next;

  /** At most one acknowledgement in flight, on a thread of its own. */
  private final ThreadPoolExecutor acks;

  private Future<?> acking;

  public GroupReader(
      EventLog log, String stream, String group, String consumer, int batchSize, Duration lease) {
    this(log, stream, group, consumer, batchSize, lease, true);
  }

  public GroupReader(EventLog log, GroupConsumer.Settings settings) {
    this(
        log,
        settings.stream(),
        settings.group(),
        settings.consumer(),
        settings.batchSize(),
        settings.lease(),
        settings.parseAhead());
  }

  /**
   * @param parseAhead whether the read-ahead thread builds each event's tree ({@link Event#data()})
   *     so that the engine finds it built
   */
  public GroupReader(
      EventLog log,
      String stream,
      String group,
      String consumer,
      int batchSize,
      Duration lease,
      boolean parseAhead) {
    this.parseAhead = parseAhead;
    this.log = Objects.requireNonNull(log, "log");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.group = Objects.requireNonNull(group, "group");
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.batchSize = batchSize;
    this.lease = Objects.requireNonNull(lease, "lease");
    log.createGroup(stream, group, GroupStart.EARLIEST);
    // what this consumer held before a restart is taken back by the first claim, not after the
    // lease
    log.releasePending(stream, group, consumer);
    String threadName = "herald-read-ahead-" + stream + "-" + group;
    // a queue, not a hand-off: the thread of the read just taken may not be back waiting yet
    this.readAhead =
        new ThreadPoolExecutor(
            1,
            1,
            1,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            task -> Thread.ofPlatform().name(threadName).daemon(true).unstarted(task));
    readAhead.allowCoreThreadTimeOut(true);
    this.acks =
        new ThreadPoolExecutor(
            1,
            1,
            1,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            task ->
                Thread.ofPlatform()
                    .name("herald-ack-" + stream + "-" + group)
                    .daemon(true)
                    .unstarted(task));
    acks.allowCoreThreadTimeOut(true);
  }

  @Override
  public List<Event> fresh() {
    List<Event> events;
    if (next != null) {
      Future<List<Event>> pending = next;
      next = null;
      events = result(pending);
    } else {
      events = log.readGroup(stream, group, consumer, batchSize);
    }
    if (events.size() >= batchSize) {
      try {
        next = readAhead.submit(this::readAhead);
      } catch (RejectedExecutionException closed) {
        // closed: the events in hand must still reach the engine
      }
    }
    return events;
  }

  private List<Event> readAhead() {
    List<Event> events = log.readGroup(stream, group, consumer, batchSize);
    if (parseAhead) {
      events.forEach(Event::data);
    }
    return events;
  }

  private static List<Event> result(Future<List<Event>> read) {
    try {
      return read.get();
    } catch (InterruptedException e) {
      // the read goes on and its events stay pending for this consumer until the lease ends
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for events read ahead", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Events whose consumer held them past the lease, when a claim is due at {@code now}; else none.
   */
  @Override
  public List<Event> abandoned(Instant now) {
    if (now.isBefore(nextClaim)) {
      return List.of();
    }
    nextClaim = now.plus(lease.dividedBy(2));
    // this consumer's own batch whose acknowledgement is still being written would look abandoned
    // to a claim made now and be processed a second time
    awaitAck();
    return log.claim(stream, group, consumer, lease, batchSize);
  }

  /**
   * Acknowledges events this reader handed out, once their effect is durable, in the background:
   * the engine goes on with its next batch while the acknowledgement is written, and waits for it
   * only when it acknowledges again (or closes). A crash before it is written leaves the batch to
   * be delivered again after its lease, as a crash between the effect and the acknowledgement
   * always could, and the stores count a redelivered event once.
   */
  @Override
  public void ack(List<String> ids) {
    awaitAck();
    try {
      acking = acks.submit(() -> log.ack(stream, group, ids));
    } catch (RejectedExecutionException closed) {
      log.ack(stream, group, ids);
    }
  }

  /**
   * Waits for the acknowledgement in flight, if any; one that failed leaves its events to the
   * lease.
   */
  private void awaitAck() {
    if (acking == null) {
      return;
    }
    try {
      acking.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn(
          "acknowledging a batch of '{}' for group '{}' failed; it stays pending until its lease ends: {}",
          stream,
          group,
          e.getCause().toString());
    } finally {
      acking = null;
    }
  }

  /**
   * Stops reading ahead and hands the events read ahead but not handed out yet to {@code finish},
   * for the engine to process them before it stops. When there are none, or that read or {@code
   * finish} fails, the events stay pending for this consumer until their lease ends.
   */
  @Override
  public void close(Consumer<List<Event>> finish) {
    readAhead.shutdown();
    if (next == null) {
      awaitAck();
      acks.shutdown();
      return;
    }
    Future<List<Event>> pending = next;
    next = null;
    try {
      List<Event> events = result(pending);
      if (!events.isEmpty()) {
        finish.accept(events);
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "a batch read ahead from '{}' for group '{}' stays pending until its lease ends: {}",
          stream,
          group,
          e.toString());
    }
    awaitAck();
    acks.shutdown();
  }
}
