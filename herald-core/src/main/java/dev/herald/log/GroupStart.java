package dev.herald.log;

/** Where a new consumer group starts reading. */
public enum GroupStart {
  /** With the oldest retained event. */
  EARLIEST,
  /** With the first event appended after the group is created. */
  LATEST
}
