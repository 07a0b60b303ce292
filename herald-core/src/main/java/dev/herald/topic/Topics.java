package dev.herald.topic;

import dev.herald.agent.Agent;
import dev.herald.log.EventLog;
import dev.herald.log.StreamEnds;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live subscriptions to streams. A stream gets a {@link TopicFeed} while it has subscribers; the
 * runner thread polls each feed's log for new events, so events appended by other processes on a
 * shared store arrive too, and local appends wake it at once. The runner also ends subscribers'
 * waits when they are over, so run it with a short idle time (a few milliseconds): that is how
 * precise {@link Subscription#next} waits are.
 *
 * <p>Thread-safety: {@link #subscribe} and the other queries may be called from any thread; {@link
 * #doWork()} by one runner thread.
 */
public final class Topics implements Agent {

  /** How subscriptions behave. */
  public record Options(int ringCapacity, int maxLag) {
    public static final Options DEFAULT = new Options(4096, 1024);

    public Options {
      if (maxLag < 1 || ringCapacity < maxLag) {
        throw new IllegalArgumentException(
            "need 1 <= maxLag <= ringCapacity, but was " + maxLag + " and " + ringCapacity);
      }
    }
  }

  private final EventLog log;
  private final Options options;
  private final Map<String, TopicFeed> feeds = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> subscribers = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final java.util.concurrent.atomic.LongAdder tooSlow =
      new java.util.concurrent.atomic.LongAdder();

  public Topics(EventLog log, Options options) {
    this.log = Objects.requireNonNull(log, "log");
    this.options = Objects.requireNonNull(options, "options");
  }

  /**
   * Subscribes after {@code cursor} ("" for the whole retained history).
   *
   * @throws IllegalArgumentException when the cursor is not an id of this log, or is newer than the
   *     newest event of the stream
   */
  public Subscription subscribe(String stream, String cursor) {
    return subscribe(stream, cursor, log.ends(stream));
  }

  /** Subscribes to the events appended from now on. */
  public Subscription subscribeToNew(String stream) {
    StreamEnds ends = log.ends(stream);
    return subscribe(stream, ends.lastId().orElse(""), ends);
  }

  private Subscription subscribe(String stream, String cursor, StreamEnds info) {
    String last = info.lastId().orElse("");
    if (log.compareIds(cursor, last) > 0) {
      throw new IllegalArgumentException(
          "'"
              + cursor
              + "' is newer than the newest event of stream '"
              + stream
              + "' ("
              + (last.isEmpty() ? "none" : last)
              + ")");
    }
    Optional<String> reset = Optional.empty();
    // only a cursor older than the newest trimmed event missed events; one older than the oldest
    // retained event but not than that (a cursor "0" on a stream never trimmed) missed nothing
    if (!cursor.isEmpty()
        && info.trimmedThrough().isPresent()
        && log.compareIds(cursor, info.trimmedThrough().get()) < 0) {
      reset = info.firstId().or(info::lastId);
    }
    TopicFeed feed =
        feeds.computeIfAbsent(
            stream, s -> new TopicFeed(log, s, options.ringCapacity(), options.maxLag()));
    synchronized (feed) {
      if (subscribers.computeIfAbsent(stream, s -> new AtomicInteger()).getAndIncrement() == 0) {
        feed.restartAt(last);
      }
    }
    total.incrementAndGet();
    Subscription subscription =
        new Subscription(
            feed,
            cursor,
            options.maxLag(),
            reset,
            tooSlow::increment,
            s -> {
              feed.unregister(s);
              synchronized (feed) {
                subscribers.get(stream).decrementAndGet();
              }
              total.decrementAndGet();
            });
    feed.register(subscription);
    return subscription;
  }

  /**
   * The id of the newest event of the stream, the cursor of a subscriber that wants only new
   * events.
   */
  public String latest(String stream) {
    return log.ends(stream).lastId().orElse("");
  }

  /** How many subscriptions were ended for falling more than {@code maxLag} behind. */
  public long tooSlow() {
    return tooSlow.sum();
  }

  /** How many subscriptions are open. */
  public int subscribers() {
    return total.get();
  }

  public int subscribers(String stream) {
    AtomicInteger count = subscribers.get(stream);
    return count == null ? 0 : count.get();
  }

  @Override
  public int doWork() {
    int work = 0;
    long now = System.nanoTime();
    for (TopicFeed feed : feeds.values()) {
      if (subscribers(feed.stream()) > 0) {
        work += feed.poll();
        feed.expire(now);
      }
    }
    return work;
  }

  @Override
  public void onClose() {
    feeds.values().forEach(TopicFeed::close);
  }

  @Override
  public String roleName() {
    return "herald-topics";
  }
}
