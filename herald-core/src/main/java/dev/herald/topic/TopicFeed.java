package dev.herald.topic;

import dev.herald.log.Event;
import dev.herald.log.EventLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live tail of one stream, shared by every subscriber of the stream in this process: the newest
 * events, read once from the log and kept in a ring, so a thousand subscribers cost one read of the
 * log per batch rather than a thousand. Events appended by any process reach the ring, because it
 * is filled from the log itself, never from local publishers.
 *
 * <p>Positions are this process's count of events the feed has read; the ring keeps the last {@code
 * capacity} of them. A subscriber behind the ring reads the log directly until it reaches the ring.
 *
 * <p>Subscribers read the ring without a lock, and the feed's thread wakes every waiting subscriber
 * itself once a batch is in: a lock and condition would hand the wake-up from one subscriber to the
 * next, a thousand times in a row for a thousand subscribers. Waits are untimed; the feed's thread
 * also wakes subscribers whose wait is over (for a heartbeat), so waiting costs no timer per
 * subscriber and message.
 *
 * <p>Thread-safety: {@link #poll()} and {@link #expire(long)} are called by one thread (the {@link
 * Topics} runner); the other methods by any.
 */
public final class TopicFeed {

  private static final int READ_BATCH = 1000;

  /**
   * How much JSON text one poll may read: a burst of large events must not fill the heap at once.
   */
  private static final long READ_CHARS = 8L << 20;

  /**
   * With at least this many subscribers waiting, the feed's thread hands their wake-ups to a
   * virtual thread.
   */
  private static final int UNPARK_IN_VIRTUAL_THREAD = 32;

  private record Waiter(Thread thread, long deadlineNanos) {}

  private final EventLog log;
  private final String stream;
  private final int capacity;
  private final int maxLag;

  /** Subscriptions reading the ring, whose lag {@link #poll()} checks. */
  private final java.util.Set<Subscription> subscriptions =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Longer than {@code capacity} by a batch, so that while the feed writes a batch it never
   * overwrites an event a subscriber within {@code capacity} of the head may be copying.
   */
  private final LiveEvent[] ring;

  /**
   * Guards the fields below except {@code head} and {@code start}, which readers read without it.
   */
  private final ReentrantLock lock = new ReentrantLock();

  /** Position of the next event to be read; written under the lock after the ring slots. */
  private volatile long head;

  /** Positions before this one are not in the ring (it was restarted at the log's end). */
  private volatile long start;

  /** Id of the event just before the oldest one in the ring ("" before the first event). */
  private String baseId;

  /** Id of the newest event read. */
  private String lastId;

  private volatile boolean closed;
  private final ReentrantLock waitersLock = new ReentrantLock();

  /**
   * Unordered: every batch wakes them all, and deadlines (heartbeats) are rare next to batches, so
   * {@link #expire} scans the list only once the earliest deadline passed.
   */
  private ArrayList<Waiter> waiters = new ArrayList<>();

  /** The earliest deadline among {@link #waiters}, when {@link #anyDeadline}. */
  private long earliestDeadline;

  private boolean anyDeadline;

  TopicFeed(EventLog log, String stream, int capacity, int maxLag) {
    this.log = Objects.requireNonNull(log, "log");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.capacity = capacity;
    this.maxLag = maxLag;
    this.ring = new LiveEvent[capacity + READ_BATCH];
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

  private long oldest(long head) {
    return Math.max(start, head - capacity);
  }

  private LiveEvent at(long position) {
    return ring[(int) (position % ring.length)];
  }

  /** Reads what the log has after the newest event seen; returns how many events it read. */
  int poll() {
    List<Event> events = log.read(stream, lastId, READ_BATCH, READ_CHARS);
    if (events.isEmpty()) {
      return 0;
    }
    lock.lock();
    try {
      long next = head;
      for (Event event : events) {
        if (log.compareIds(event.id(), lastId) <= 0) {
          continue; // read before a restart moved past it
        }
        if (next - capacity >= start) {
          baseId = at(next - capacity).id();
        }
        ring[(int) (next % ring.length)] = LiveEvent.of(event);
        next++;
        lastId = event.id();
      }
      head = next; // publishes the slots written above to lock-free readers
    } finally {
      lock.unlock();
    }
    wakeAll();
    overrun(head);
    return events.size();
  }

  void register(Subscription subscription) {
    subscriptions.add(subscription);
  }

  void unregister(Subscription subscription) {
    subscriptions.remove(subscription);
  }

  /**
   * Tells every subscription more than {@code maxLag} events behind the head. A subscriber that is
   * waiting is never behind; one that is behind is busy elsewhere, usually blocked writing to a
   * client that stopped reading, and would otherwise only learn of its lag once that write ends,
   * which may be never.
   */
  private void overrun(long end) {
    for (Subscription subscription : subscriptions) {
      long position = subscription.ringPosition();
      if (position >= 0 && end - position > maxLag) {
        subscription.overrun();
      }
    }
  }

  /**
   * Where a subscriber whose last seen id is {@code cursor} starts reading the ring, or -1 when the
   * ring no longer (or not yet) covers it and the subscriber must read the log.
   */
  long positionAfter(String cursor) {
    lock.lock();
    try {
      if (log.compareIds(cursor, baseId) < 0) {
        return -1;
      }
      long end = head;
      for (long p = oldest(end); p < end; p++) {
        if (log.compareIds(at(p).id(), cursor) > 0) {
          return p;
        }
      }
      // the cursor is the newest event read, or newer (written by another process, not read yet)
      return log.compareIds(cursor, lastId) >= 0 ? end : -1;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Events from {@code position} on, waiting until {@code deadlineNanos} (a {@link
   * System#nanoTime()} value) for one when there is none; empty when none came.
   *
   * @throws SubscriberTooSlowException when the subscriber is more than {@code maxLag} events
   *     behind, or the ring dropped its position
   */
  List<LiveEvent> from(long position, int maxLag, long deadlineNanos) throws InterruptedException {
    long end = head;
    while (position >= end && deadlineNanos - System.nanoTime() > 0) {
      Waiter waiter = new Waiter(Thread.currentThread(), deadlineNanos);
      waitersLock.lock();
      try {
        waiters.add(waiter);
        if (!anyDeadline || deadlineNanos - earliestDeadline < 0) {
          earliestDeadline = deadlineNanos;
          anyDeadline = true;
        }
      } finally {
        waitersLock.unlock();
      }
      end = head;
      if (position < end) {
        break; // appended meanwhile; the wake-up still to come only makes a later park return early
      }
      if (closed) {
        LockSupport.parkNanos(
            this, deadlineNanos - System.nanoTime()); // nobody expires waits any more
      } else {
        LockSupport.park(this);
      }
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      end = head;
    }
    if (position >= end) {
      return List.of();
    }
    requireWithinLag(position, end, maxLag);
    List<LiveEvent> events = new ArrayList<>((int) (end - position));
    for (long p = position; p < end; p++) {
      events.add(at(p));
    }
    // the feed may have moved on while we copied; slots within capacity of its head are intact
    requireWithinLag(position, head, maxLag);
    return events;
  }

  private void requireWithinLag(long position, long end, int maxLag) {
    if (position < oldest(end) || end - position > maxLag) {
      throw new SubscriberTooSlowException(
          "the subscriber fell "
              + (end - position)
              + " events behind on stream '"
              + stream
              + "' (at most "
              + Math.min(maxLag, capacity)
              + " may be buffered); reconnect with the last id received to resume");
    }
  }

  /** Called when the runner stops: subscribers' waits then end by their own timers. */
  void close() {
    closed = true;
    wakeAll();
  }

  /** Wakes every waiting subscriber: events came, or the feed is closing. */
  void wakeAll() {
    List<Waiter> woken;
    waitersLock.lock();
    try {
      if (waiters.isEmpty()) {
        return;
      }
      woken = waiters;
      waiters = new ArrayList<>(woken.size());
      anyDeadline = false;
    } finally {
      waitersLock.unlock();
    }
    if (woken.size() >= UNPARK_IN_VIRTUAL_THREAD && !Thread.currentThread().isVirtual()) {
      // a virtual thread's unpark from another virtual thread goes to its carrier's own queue;
      // from a platform thread (the runner) each one goes through the pool's shared submission
      // queue and signals a carrier (6% of the server's CPU samples with 1,000 subscribers)
      Thread.startVirtualThread(() -> unparkAll(woken));
    } else {
      unparkAll(woken);
    }
  }

  private static void unparkAll(List<Waiter> waiters) {
    for (Waiter waiter : waiters) {
      LockSupport.unpark(waiter.thread());
    }
  }

  /** Wakes the subscribers whose wait ended by {@code nowNanos}. */
  void expire(long nowNanos) {
    List<Waiter> due = null;
    waitersLock.lock();
    try {
      if (!anyDeadline || earliestDeadline - nowNanos > 0) {
        return;
      }
      anyDeadline = false;
      ArrayList<Waiter> waiting = new ArrayList<>(waiters.size());
      for (Waiter waiter : waiters) {
        if (waiter.deadlineNanos() - nowNanos <= 0) {
          if (due == null) {
            due = new ArrayList<>();
          }
          due.add(waiter);
        } else {
          waiting.add(waiter);
          if (!anyDeadline || waiter.deadlineNanos() - earliestDeadline < 0) {
            earliestDeadline = waiter.deadlineNanos();
            anyDeadline = true;
          }
        }
      }
      waiters = waiting;
    } finally {
      waitersLock.unlock();
    }
    if (due != null) {
      due.forEach(waiter -> LockSupport.unpark(waiter.thread()));
    }
  }
}
