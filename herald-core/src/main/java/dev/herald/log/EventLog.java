package dev.herald.log;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Durable, ordered streams of events with consumer groups. Redis Streams is the model for its
 * semantics.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Ids</b> are assigned by the log, unique within a stream, and strictly increasing in
 *       append order. They are opaque text: compare them only through the log. The empty string
 *       stands for "before the first event" wherever an {@code after} id is taken.
 *   <li><b>Durability</b>: when {@link #append} returns, the events survive a crash of the process.
 *   <li><b>Atomicity</b>: {@link #appendAll} stores all the events or none; concurrent batches
 *       never interleave.
 *   <li><b>Consumer groups</b>: {@link #readGroup} hands each event to one consumer of the group
 *       and records it as pending with the delivery time. It stays pending until {@link #ack}ed.
 *       {@link #claim} hands pending events idle longer than a lease to another consumer (a dead
 *       consumer's work, or a redelivery to the same one). Delivery is therefore at least once; a
 *       consumer makes its effect idempotent by the event id.
 *   <li>Streams are created by their first append or group; reading an unknown stream gives
 *       nothing.
 * </ul>
 *
 * <p>Thread-safety: implementations are safe for concurrent use by any number of threads.
 */
public interface EventLog extends AutoCloseable {

  /** Appends one event and returns its id. */
  default String append(String stream, NewEvent event) {
    return appendAll(stream, List.of(event)).getFirst();
  }

  /** Appends all the events atomically, in order, and returns their ids in the same order. */
  List<String> appendAll(String stream, List<NewEvent> events);

  /**
   * As {@link #appendAll(String, List)}, once per key: when {@code key} was used with this stream
   * within its {@code keep}, nothing is appended and the ids of that first append are returned. The
   * key is recorded atomically with the events, so a crash or a lost answer leaves either both or
   * neither.
   *
   * @throws IdempotencyConflictException when the key was used for events with another fingerprint;
   *     nothing is appended
   */
  List<String> appendAll(String stream, List<NewEvent> events, IdempotencyKey key);

  /**
   * Registers {@code listener} to run each time events appended through this instance are durable,
   * possibly on a thread of the log before the appending call returns, so that a process's engines
   * and live subscribers can start on a local append at once rather than once the appending thread
   * is scheduled again. It must return at once (wake a thread, no more). Appends by other processes
   * are reported only by a log whose {@link #reportsEveryAppend()} says so; otherwise readers poll
   * for those.
   */
  void onAppended(Runnable listener);

  /**
   * Whether {@link #onAppended} listeners hear of every append to the log, other processes' too (a
   * log of one process's own file, or one that notifies across processes), so that readers need no
   * short poll. A wake-up may still be lost (a dropped notification connection): readers keep a
   * long poll.
   */
  default boolean reportsEveryAppend() {
    return false;
  }

  /** Up to {@code limit} events with an id after {@code after}, oldest first. */
  List<Event> read(String stream, String after, int limit);

  /**
   * As {@link #read(String, String, int)}, but the page also ends with the event that brings the
   * JSON text read to {@code maxChars} characters (at least one event, however large), so that a
   * page of large events never holds more than about that much in memory. An implementation should
   * stop reading there rather than read {@code limit} events and drop some.
   */
  default List<Event> read(String stream, String after, int limit, long maxChars) {
    List<Event> page = new ArrayList<>();
    long chars = 0;
    String cursor = after;
    int chunk = Math.min(limit, 64);
    while (page.size() < limit && chars < maxChars) {
      List<Event> read = read(stream, cursor, chunk);
      for (Event event : read) {
        page.add(event);
        chars += event.json().length();
        if (chars >= maxChars) {
          return page;
        }
      }
      if (read.size() < chunk) {
        return page;
      }
      cursor = page.getLast().id();
      // as many as the budget left holds at the average size so far, within the limit left
      long average = Math.max(1, chars / page.size());
      chunk = (int) Math.max(1, Math.min(limit - page.size(), (maxChars - chars) / average + 1));
    }
    return page;
  }

  /** Creates the group if it does not exist yet; an existing group is left as it is. */
  void createGroup(String stream, String group, GroupStart start);

  /**
   * Delivers up to {@code limit} events the group has not seen yet to {@code consumer}, oldest
   * first, and marks them pending for it.
   *
   * @throws IllegalStateException if the group does not exist
   */
  List<Event> readGroup(String stream, String group, String consumer, int limit);

  /** Acknowledges events of the group; ids that are not pending are ignored. */
  void ack(String stream, String group, Collection<String> ids);

  /**
   * Takes over up to {@code limit} pending events of the group that were delivered more than {@code
   * minIdle} ago, delivers them to {@code consumer} and restarts their idle time. Events trimmed
   * from the stream meanwhile are dropped from the pending list.
   */
  List<Event> claim(String stream, String group, String consumer, Duration minIdle, int limit);

  /**
   * Makes the events pending for {@code consumer} in the group claimable at once, as if their lease
   * had passed: a process that starts under the name it had before it stopped knows that what it
   * was handed then was never finished, and need not wait out the lease to take it back. The
   * default does nothing (the events come back after their lease); a log whose consumer names
   * outlive a process overrides it.
   */
  default void releasePending(String stream, String group, String consumer) {}

  /**
   * A consumer of the group that a processor drives ({@link GroupConsumer}); creates the group from
   * the earliest event if it does not exist. The default reads through {@link #readGroup}, {@link
   * #claim} and {@link #ack}.
   */
  default GroupConsumer consumer(GroupConsumer.Settings settings) {
    return new GroupReader(this, settings);
  }

  /** Removes the oldest events so that at most {@code maxLength} remain; returns how many went. */
  long trimToLength(String stream, long maxLength);

  /** Removes events whose time is before {@code before}; returns how many went. */
  long trimBefore(String stream, Instant before);

  /**
   * Orders two ids of this log as their events are ordered; "" comes before every id.
   *
   * @throws IllegalArgumentException naming the id when either is not an id of this log
   */
  int compareIds(String a, String b);

  /**
   * The oldest retained, newest appended and newest trimmed ids, for callers that need no more:
   * live subscribers ask on every connect, and {@link #info} counts the stream and its groups'
   * pending events.
   */
  StreamEnds ends(String stream);

  /** What the stream holds now; an unknown stream is empty. */
  StreamInfo info(String stream);

  /** Releases the log's resources; pending writes are completed first. */
  @Override
  void close();
}
