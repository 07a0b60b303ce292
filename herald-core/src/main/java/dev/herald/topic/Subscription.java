package dev.herald.topic;

import dev.herald.log.Event;
import dev.herald.log.EventLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One subscriber's position in a stream: every event after its cursor, exactly once, in order. It
 * reads history from the log, then follows the shared {@link TopicFeed}.
 *
 * <p>Thread ownership: used by one thread (the subscriber's connection).
 */
public final class Subscription implements AutoCloseable {

  private static final int HISTORY_BATCH = 500;

  /**
   * How much JSON text one read of history may hold: a batch of large events must not fill the
   * heap.
   */
  private static final long HISTORY_CHARS = 2L << 20;

  private final TopicFeed feed;
  private final EventLog log;
  private final int maxLag;
  private final Runnable onTooSlow;
  private final java.util.function.Consumer<Subscription> onClose;
  private final Optional<String> reset;
  private String cursor;

  /** Written by the subscriber's thread, read by the feed's when it checks lags. */
  private volatile long position = -1;

  private volatile Runnable onOverrun = () -> {};
  private final java.util.concurrent.atomic.AtomicBoolean overrun =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Whether every ring event from {@link #position} on is newer than the cursor, so ids need no
   * comparing: true once the subscriber received its first event from the ring.
   */
  private boolean pastCursor;

  private volatile boolean closed;

  Subscription(
      TopicFeed feed,
      String cursor,
      int maxLag,
      Optional<String> reset,
      Runnable onTooSlow,
      java.util.function.Consumer<Subscription> onClose) {
    this.feed = Objects.requireNonNull(feed, "feed");
    this.log = feed.log();
    this.cursor = Objects.requireNonNull(cursor, "cursor");
    this.maxLag = maxLag;
    this.reset = reset;
    this.onTooSlow = onTooSlow;
    this.onClose = onClose;
  }

  /**
   * Registers what ends the subscriber's connection when it falls more than {@code maxLag} behind
   * while busy elsewhere (blocked writing to a client that stopped reading): typically interrupting
   * the thread that writes, which closes its socket. Called at most once, from the feed's thread;
   * must return at once.
   */
  public void onOverrun(Runnable action) {
    this.onOverrun = Objects.requireNonNull(action, "action");
  }

  /** The subscriber's position in the ring, or -1 while it reads history from the log. */
  long ringPosition() {
    return position;
  }

  void overrun() {
    if (!closed && overrun.compareAndSet(false, true)) {
      onTooSlow.run();
      onOverrun.run();
    }
  }

  public String stream() {
    return feed.stream();
  }

  /** The id of the last event handed out ("" before the first). */
  public String cursor() {
    return cursor;
  }

  /**
   * When the cursor the subscriber asked for was trimmed away: the oldest retained id, from which
   * it now continues. The subscriber should say so to its client rather than skip silently.
   */
  public Optional<String> reset() {
    return reset;
  }

  /**
   * The next events after the cursor, oldest first; empty when none came within {@code wait} (time
   * for a heartbeat) or the subscription was closed.
   *
   * @throws SubscriberTooSlowException when the subscriber fell too far behind the live feed
   */
  public List<LiveEvent> next(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!closed) {
      if (position < 0) {
        position = feed.positionAfter(cursor);
        if (position < 0) {
          List<Event> history = log.read(feed.stream(), cursor, HISTORY_BATCH, HISTORY_CHARS);
          if (!history.isEmpty()) {
            cursor = history.getLast().id();
            List<LiveEvent> rendered = new ArrayList<>(history.size());
            for (Event event : history) {
              rendered.add(LiveEvent.of(event));
            }
            return rendered;
          }
          // the log has nothing newer and the feed has not read up to the cursor yet
          if (System.nanoTime() - deadline >= 0) {
            return List.of();
          }
          Thread.sleep(5);
          continue;
        }
      }
      List<LiveEvent> live;
      try {
        live = feed.from(position, maxLag, deadline);
      } catch (SubscriberTooSlowException e) {
        if (overrun.compareAndSet(false, true)) {
          onTooSlow.run();
        }
        throw e;
      }
      position += live.size();
      if (pastCursor && !live.isEmpty()) {
        cursor = live.getLast().id();
        return live;
      }
      List<LiveEvent> fresh = new ArrayList<>(live.size());
      for (LiveEvent event : live) {
        // the ring may hold events at or before the cursor when the subscriber joined it
        if (log.compareIds(event.id(), cursor) > 0) {
          fresh.add(event);
        }
      }
      if (!fresh.isEmpty()) {
        cursor = fresh.getLast().id();
        pastCursor = true;
        return fresh;
      }
      if (System.nanoTime() - deadline >= 0) {
        return List.of();
      }
    }
    return List.of();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      onClose.accept(this);
    }
  }
}
