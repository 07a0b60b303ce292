package dev.herald.store;

/**
 * The rows that bulk imports and pipelines write (purchases, vehicle detections): a capability
 * apart from the event log and the state stores, since its natural home (PostgreSQL, with COPY)
 * need not be theirs. The issues that add imports and pipelines define its operations and implement
 * it; no provider offers it yet.
 */
public interface RecordsStore extends AutoCloseable {

  /** A short description for logs and health, e.g. the URL with its password hidden. */
  String describe();

  @Override
  void close();
}
