package dev.herald.notify;

/**
 * Where notifications are delivered. A closed set: the dispatcher switches over it, so the compiler
 * finds every place a new kind must be handled.
 */
public sealed interface Sink permits LogSink, StreamSink, WebhookSink {

  /** A stable name that identifies this sink among a rule's sinks in stored deliveries. */
  String name();
}
