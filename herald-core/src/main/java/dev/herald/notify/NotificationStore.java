package dev.herald.notify;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outbox: notifications written by closing digest buckets, and the state of their deliveries.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>A notification and its deliveries are created by the digest store in the transaction that
 *       closes the bucket; this interface reads them and records delivery attempts.
 *   <li>{@link #takeDue} hands out pending deliveries whose next attempt is due, earliest first,
 *       and holds each for {@code lease}: no caller (thread or process) is handed it again until
 *       that lease passes, so a dispatcher that dies mid-delivery is replaced, but two live ones do
 *       not deliver the same notification at once.
 *   <li>{@link #record} applies all outcomes atomically; an outcome for a delivery that is no
 *       longer pending is ignored, so recording twice is harmless.
 *   <li>The cursor order of {@link #list} is the order notifications were created in. A sharded
 *       store may order notifications created in the same millisecond by different shards
 *       arbitrarily, but a reader following {@code next} sees every notification once, including
 *       one created after a notification of another shard that it has already seen.
 * </ul>
 *
 * <p>Thread-safety: implementations are safe for concurrent use.
 */
public interface NotificationStore {

  Optional<Notification> find(String id);

  NotificationPage list(NotificationQuery query);

  /** The deliveries of a notification, one per sink, with their attempts. */
  List<Delivery> deliveries(String notificationId);

  /** Hands out up to {@code limit} due deliveries and holds them for {@code lease}. */
  List<DeliveryTask> takeDue(Instant now, java.time.Duration lease, int limit);

  /** The earliest next-attempt time among pending deliveries. */
  Optional<Instant> nextDeliveryDue();

  void record(List<DeliveryOutcome> outcomes);

  /**
   * Registers {@code listener} to run when another process wrote notifications with pending
   * deliveries, where the store can tell ({@link #reportsNewDeliveries()}); it must return at once.
   * Deliveries this process's own closer writes are its own to report.
   */
  default void onNewDeliveries(Runnable listener) {}

  /**
   * Whether {@link #onNewDeliveries} hears of other processes' new deliveries, so that a dispatcher
   * needs no short poll; the default does not, and dispatchers poll.
   */
  default boolean reportsNewDeliveries() {
    return false;
  }
}
