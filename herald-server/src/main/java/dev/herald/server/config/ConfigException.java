package dev.herald.server.config;

import dev.herald.HeraldException;

/** The configuration cannot be used; the message names the file, line and problem. */
public final class ConfigException extends HeraldException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
