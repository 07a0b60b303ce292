package dev.herald.log;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How an engine consumes a stream through its consumer group: new events on every call, and, at
 * most every half lease, the events another consumer took and left unacknowledged for longer
 * than the lease (it died), so that they are processed again here.
 *
 * <p>Thread ownership: used by one engine thread.
 */
public final class GroupReader {

  private final EventLog log;
  private final String stream;
  private final String group;
  private final String consumer;
  private final int batchSize;
  private final Duration lease;
  private Instant nextClaim = Instant.MIN;

  public GroupReader(EventLog log, String stream, String group, String consumer, int batchSize, Duration lease) {
    this.log = Objects.requireNonNull(log, "log");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.group = Objects.requireNonNull(group, "group");
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.batchSize = batchSize;
    this.lease = Objects.requireNonNull(lease, "lease");
    log.createGroup(stream, group, GroupStart.EARLIEST);
  }

  /** Events no consumer of the group has seen yet, up to the batch size. */
  public List<Event> fresh() {
    return log.readGroup(stream, group, consumer, batchSize);
  }

  /** Events whose consumer held them past the lease, when a claim is due at {@code now}; else none. */
  public List<Event> abandoned(Instant now) {
    if (now.isBefore(nextClaim)) {
      return List.of();
    }
    nextClaim = now.plus(lease.dividedBy(2));
    return log.claim(stream, group, consumer, lease, batchSize);
  }

  /** Acknowledges events this reader handed out, once their effect is durable. */
  public void ack(List<String> ids) {
    log.ack(stream, group, ids);
  }
}
