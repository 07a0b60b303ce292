package dev.herald.sqlite;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** Keeps a database's writer busy, so that the writes queued meanwhile commit as one group. */
final class HeldWriter {

  private final SqliteDatabase db;
  private final CountDownLatch release = new CountDownLatch(1);
  private final Future<?> holder;

  /** Returns once the writer runs the holding write. */
  HeldWriter(SqliteDatabase db, ExecutorService pool) throws InterruptedException {
    this.db = db;
    CountDownLatch held = new CountDownLatch(1);
    holder =
        pool.submit(
            () ->
                db.write(
                    session -> {
                      held.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                      return null;
                    }));
    held.await();
  }

  /** Waits until {@code writes} writes are queued behind the held one. */
  void awaitQueued(int writes) {
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .pollInterval(java.time.Duration.ofMillis(1))
        .until(() -> db.queuedWrites() >= writes);
  }

  /** Lets the writer go on to the queued group. */
  void release() throws Exception {
    release.countDown();
    holder.get();
  }
}
