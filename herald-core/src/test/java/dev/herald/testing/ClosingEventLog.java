package dev.herald.testing;

import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupStart;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamEnds;
import dev.herald.log.StreamInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** An event log that also closes what it was opened from, for contract fixtures. */
public record ClosingEventLog(EventLog log, AutoCloseable owner) implements EventLog {

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events) {
    return log.appendAll(stream, events);
  }

  @Override
  public List<String> appendAll(
      String stream, List<NewEvent> events, dev.herald.log.IdempotencyKey key) {
    return log.appendAll(stream, events, key);
  }

  @Override
  public void releasePending(String stream, String group, String consumer) {
    log.releasePending(stream, group, consumer);
  }

  @Override
  public boolean reportsEveryAppend() {
    return log.reportsEveryAppend();
  }

  @Override
  public void onAppended(Runnable listener) {
    log.onAppended(listener);
  }

  @Override
  public List<Event> read(String stream, String after, int limit) {
    return log.read(stream, after, limit);
  }

  @Override
  public StreamEnds ends(String stream) {
    return log.ends(stream);
  }

  @Override
  public int compareIds(String a, String b) {
    return log.compareIds(a, b);
  }

  @Override
  public void createGroup(String stream, String group, GroupStart start) {
    log.createGroup(stream, group, start);
  }

  @Override
  public List<Event> readGroup(String stream, String group, String consumer, int limit) {
    return log.readGroup(stream, group, consumer, limit);
  }

  @Override
  public void ack(String stream, String group, Collection<String> ids) {
    log.ack(stream, group, ids);
  }

  @Override
  public List<Event> claim(
      String stream, String group, String consumer, Duration minIdle, int limit) {
    return log.claim(stream, group, consumer, minIdle, limit);
  }

  @Override
  public long trimToLength(String stream, long maxLength) {
    return log.trimToLength(stream, maxLength);
  }

  @Override
  public long trimBefore(String stream, Instant before) {
    return log.trimBefore(stream, before);
  }

  @Override
  public StreamInfo info(String stream) {
    return log.info(stream);
  }

  @Override
  public void close() {
    log.close();
    try {
      owner.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
