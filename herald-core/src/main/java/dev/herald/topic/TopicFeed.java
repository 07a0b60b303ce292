package dev.herald.topic;

import dev.herald.log.Event;
import dev.herald.log.EventLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live tail of one stream, shared by every subscriber of the stream in this process: the
 * newest events, read once from the log and kept in a ring, so a thousand subscribers cost one
 * read of the log per batch rather than a thousand. Events appended by any process reach the
 * ring, because it is filled from the log itself, never from local publishers.
 *
 * <p>Positions are this process's count of events the feed has read; the ring keeps the last
 * {@code capacity} of them. A subscriber behind the ring reads the log directly until it
 * reaches the ring.
 *
 * <p>Thread-safety: {@link #poll()} is called by one thread (the {@link Topics} runner); the
 * other methods by any.
 */
public final class TopicFeed {

  private static final int READ_BATCH = 1000;

  private final EventLog log;
  private final String stream;
  private final Event[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition appended = lock.newCondition();
  /** Position of the next event to be read. */
  private long head;
  /** Id of the event just before the oldest one in the ring ("" before the first event). */
  private String baseId;
  /** Id of the newest event read. */
  private String lastId;
  /** Positions before this one are not in the ring (it was restarted at the log's end). */
  private long start;

  TopicFeed(EventLog log, String stream, int capacity) {
    this.log = Objects.requireNonNull(log, "log");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.ring = new Event[capacity];
    this.lastId = log.ends(stream).lastId().orElse("");
    this.baseId = lastId;
  }

  public String stream() {
    return stream;
  }

  EventLog log() {
    return log;
  }

  /**
   * Restarts the ring at the log's newest event. Called when the stream gets a subscriber after
   * having none: the feed was not read meanwhile, and reading that backlog through the ring would
   * count against the new subscriber's lag; history is read from the log instead.
   */
  void restartAt(String newestId) {
    lock.lock();
    try {
      lastId = newestId;
      baseId = newestId;
      start = head;
    } finally {
      lock.unlock();
    }
  }

  private long oldest() {
    return Math.max(start, head - ring.length);
  }

  /** Reads what the log has after the newest event seen; returns how many events it read. */
  int poll() {
    List<Event> events = log.read(stream, lastId, READ_BATCH);
    if (events.isEmpty()) {
      return 0;
    }
    lock.lock();
    try {
      for (Event event : events) {
        if (log.compareIds(event.id(), lastId) <= 0) {
          continue; // read before a restart moved past it
        }
        int slot = (int) (head % ring.length);
        if (head - ring.length >= start) {
          baseId = ring[slot].id();
        }
        ring[slot] = event;
        head++;
      }
      if (log.compareIds(events.getLast().id(), lastId) > 0) {
        lastId = events.getLast().id();
      }
      appended.signalAll();
    } finally {
      lock.unlock();
    }
    return events.size();
  }

  /**
   * Where a subscriber whose last seen id is {@code cursor} starts reading the ring, or -1 when
   * the ring no longer (or not yet) covers it and the subscriber must read the log.
   */
  long positionAfter(String cursor) {
    lock.lock();
    try {
      if (log.compareIds(cursor, baseId) < 0) {
        return -1;
      }
      for (long p = oldest(); p < head; p++) {
        if (log.compareIds(ring[(int) (p % ring.length)].id(), cursor) > 0) {
          return p;
        }
      }
      // the cursor is the newest event read, or newer (written by another process, not read yet)
      return log.compareIds(cursor, lastId) >= 0 ? head : -1;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Events from {@code position} on, waiting up to {@code wait} for one when there is none.
   *
   * @throws SubscriberTooSlowException when the subscriber is more than {@code maxLag} events
   *     behind, or the ring dropped its position
   */
  List<Event> from(long position, int maxLag, Duration wait) throws InterruptedException {
    lock.lock();
    try {
      long nanos = wait.toNanos();
      while (position >= head && nanos > 0) {
        nanos = appended.awaitNanos(nanos);
      }
      if (position < oldest() || head - position > maxLag) {
        throw new SubscriberTooSlowException(
            "the subscriber fell " + (head - position) + " events behind on stream '" + stream + "' (at most " + Math.min(maxLag, ring.length)
                + " may be buffered); reconnect with the last id received to resume");
      }
      List<Event> events = new ArrayList<>((int) (head - position));
      for (long p = position; p < head; p++) {
        events.add(ring[(int) (p % ring.length)]);
      }
      return events;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting subscriber, e.g. to stop them. */
  void wakeAll() {
    lock.lock();
    try {
      appended.signalAll();
    } finally {
      lock.unlock();
    }
  }

  static Duration remaining(long deadlineNanos) {
    return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
  }

  static long deadline(Duration wait) {
    return System.nanoTime() + TimeUnit.NANOSECONDS.convert(wait);
  }
}
