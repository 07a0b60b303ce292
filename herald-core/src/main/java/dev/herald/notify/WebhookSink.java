package dev.herald.notify;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * POSTs each notification as JSON to a URL with {@code Idempotency-Key: <notification id>} and,
 * when a secret is set, {@code Herald-Signature: sha256=<hex HMAC-SHA256 of the body>}. Any 2xx
 * answer is success; anything else, or no answer, is retried.
 */
public record WebhookSink(URI url, Optional<String> secret) implements Sink {
  public WebhookSink {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(secret, "secret");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException("webhook url must be http or https, but was " + url);
    }
  }

  @Override
  public String name() {
    return "webhook:" + url;
  }
}
