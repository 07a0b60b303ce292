package dev.herald.log;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One consumer's hold on a stream through its group: new events, events other consumers abandoned,
 * acknowledgements. {@link EventLog#consumer} supplies it, so a log whose native consumer keeps
 * state of its own (a Kafka consumer with its assignment and offsets) can hand out that, while
 * every other log uses the {@link GroupReader} over its group operations.
 *
 * <p>Thread ownership: used by one thread, the processor's.
 */
public interface GroupConsumer {

  /** Events no consumer of the group has seen yet, up to the batch size. */
  List<Event> fresh();

  /** Events another consumer held past the lease, when it is time to look at {@code now}. */
  List<Event> abandoned(Instant now);

  /** Acknowledges events handed out here, once their effect is durable. */
  void ack(List<String> ids);

  /**
   * Stops consuming. Events already fetched but not handed out yet are passed to {@code finish}
   * first, so that a stopping processor leaves none pending that it could have finished.
   */
  void close(Consumer<List<Event>> finish);

  /**
   * What a consumer is.
   *
   * @param stream the stream consumed
   * @param group the consumer group, which shares the events among its consumers
   * @param consumer this consumer's name within the group
   * @param batchSize most events handed out at once
   * @param lease how long an event may stay unacknowledged before another consumer takes it
   * @param parseAhead whether events fetched ahead have their trees built ({@link Event#data()})
   *     off the processor's thread; a consumer that reads only their text saves that work
   */
  record Settings(
      String stream,
      String group,
      String consumer,
      int batchSize,
      Duration lease,
      boolean parseAhead) {
    public Settings {
      Objects.requireNonNull(stream, "stream");
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(consumer, "consumer");
      Objects.requireNonNull(lease, "lease");
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, but was " + batchSize);
      }
    }
  }
}
