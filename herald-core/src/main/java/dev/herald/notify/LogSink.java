package dev.herald.notify;

/** Writes each notification as one log line: handy in development, not a delivery guarantee. */
public record LogSink() implements Sink {
  @Override
  public String name() {
    return "log";
  }
}
