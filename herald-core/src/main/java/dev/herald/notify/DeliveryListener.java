package dev.herald.notify;

/** Observes deliveries, e.g. for metrics. Called on the dispatcher's thread: keep it cheap. */
public interface DeliveryListener {

  DeliveryListener NONE = new DeliveryListener() {};

  default void onOutcome(DeliveryOutcome outcome) {}
}
