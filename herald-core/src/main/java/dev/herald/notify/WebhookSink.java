package dev.herald.notify;

import dev.herald.Redaction;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * POSTs each notification as JSON to a URL with {@code Idempotency-Key: <notification id>} and,
 * when a secret is set, {@code Herald-Signature: sha256=<hex HMAC-SHA256 of the body>}. Any 2xx
 * answer is success; anything else, or no answer, is retried.
 */
public record WebhookSink(String label, URI url, Optional<String> secret) implements Sink {
  public WebhookSink {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(secret, "secret");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException(
          "webhook url must be http or https, but was " + Redaction.redact(url.toString()));
    }
  }

  /**
   * A webhook labelled by its host and a hash of its URL: stable while the URL is, and showing
   * nothing of the secret a URL's path may carry (Slack's does).
   */
  public static WebhookSink of(URI url, Optional<String> secret) {
    return new WebhookSink(defaultLabel(url), url, secret);
  }

  private static String defaultLabel(URI url) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(url.toString().getBytes(StandardCharsets.UTF_8));
      return url.getHost()
          + (url.getPort() < 0 ? "" : ":" + url.getPort())
          + "#"
          + HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** In stored deliveries, metrics and logs: {@code webhook:} and the label, never the URL. */
  @Override
  public String name() {
    return "webhook:" + label;
  }

  /**
   * The name earlier versions stored deliveries under (the whole URL), so they are still delivered.
   */
  public String legacyName() {
    return "webhook:" + url;
  }
}
