package dev.herald.bench;

import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.notify.Notification;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Counts ingested events and records each notification's lateness: the time the engine saw it
 * durably written minus its due time, in microseconds.
 */
final class LatenessRecorder implements DigestListener {

  private final InstantSource clock;
  private final AtomicLong ingested = new AtomicLong();
  private final AtomicLong emitted = new AtomicLong();
  private final Recorder lateness = new Recorder(3);

  LatenessRecorder(InstantSource clock) {
    this.clock = clock;
  }

  @Override
  public void onIngested(DigestRule rule, int events) {
    ingested.addAndGet(events);
  }

  @Override
  public void onNotification(Notification notification) {
    long micros =
        Math.max(0, Duration.between(notification.dueAt(), clock.instant()).toNanos() / 1_000);
    lateness.recordValue(micros);
    emitted.incrementAndGet();
  }

  long ingested() {
    return ingested.get();
  }

  long emitted() {
    return emitted.get();
  }

  org.HdrHistogram.Histogram latenessMicros() {
    return lateness.getIntervalHistogram();
  }
}
