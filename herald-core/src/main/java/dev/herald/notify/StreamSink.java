package dev.herald.notify;

import java.util.Objects;

/** Appends each notification, as JSON, to a stream of the event log. */
public record StreamSink(String stream) implements Sink {
  public StreamSink {
    Objects.requireNonNull(stream, "stream");
  }

  @Override
  public String name() {
    return "stream:" + stream;
  }
}
