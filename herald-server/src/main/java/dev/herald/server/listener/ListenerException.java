package dev.herald.server.listener;

import dev.herald.HeraldException;

/** The HTTP listener cannot start: its address is taken or cannot be bound. */
public final class ListenerException extends HeraldException {
  public ListenerException(String message) {
    super(message);
  }
}
