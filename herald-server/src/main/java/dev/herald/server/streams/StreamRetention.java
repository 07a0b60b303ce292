package dev.herald.server.streams;

import dev.herald.agent.Agent;
import dev.herald.log.EventLog;
import dev.herald.server.config.StreamConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trims streams to their declared {@code maxLength} and {@code maxAge} once a minute. Like Redis
 * Streams' MAXLEN, trimming ignores consumer groups: size retention to outlast consumer lag.
 *
 * <p>Thread ownership: run by one runner thread.
 */
public final class StreamRetention implements Agent {

  private static final Logger LOG = LoggerFactory.getLogger(StreamRetention.class);
  private static final Duration EVERY = Duration.ofMinutes(1);

  private final EventLog log;
  private final List<StreamConfig> streams;
  private final InstantSource clock;
  private Instant next = Instant.MIN;

  public StreamRetention(EventLog log, List<StreamConfig> streams, InstantSource clock) {
    this.log = log;
    this.streams =
        streams.stream().filter(s -> s.maxLength().isPresent() || s.maxAge().isPresent()).toList();
    this.clock = clock;
  }

  @Override
  public int doWork() {
    Instant now = clock.instant();
    if (streams.isEmpty() || now.isBefore(next)) {
      return 0;
    }
    next = now.plus(EVERY);
    long trimmed = 0;
    for (StreamConfig stream : streams) {
      if (stream.maxLength().isPresent()) {
        trimmed += log.trimToLength(stream.name(), stream.maxLength().getAsLong());
      }
      if (stream.maxAge().isPresent()) {
        trimmed += log.trimBefore(stream.name(), now.minus(stream.maxAge().get()));
      }
    }
    if (trimmed > 0) {
      LOG.info("retention trimmed {} events", trimmed);
    }
    return 0;
  }

  @Override
  public String roleName() {
    return "herald-retention";
  }
}
