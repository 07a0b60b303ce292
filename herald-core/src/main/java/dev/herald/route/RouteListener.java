package dev.herald.route;

import dev.herald.log.Event;

/**
 * Observes the route engine. Called on the engine's thread before the event is acknowledged, so an
 * effect made here (an alert) happens at least once per invalid event.
 */
public interface RouteListener {

  RouteListener NONE = new RouteListener() {};

  /** {@code count} events of the rule were routed to {@code deliveries} recipient events. */
  default void onRouted(RouteRule rule, int count, int deliveries) {}

  /**
   * {@code event} could not be routed and was written to the invalid stream as {@code invalidId}.
   */
  default void onInvalid(RouteRule rule, Event event, String reason, String invalidId) {}
}
