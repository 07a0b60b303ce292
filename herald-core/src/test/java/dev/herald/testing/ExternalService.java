package dev.herald.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * A service that tests need and that runs outside the JVM: Redis and PostgreSQL today, Kafka next.
 * Its URL comes from an environment variable, else a default on this machine. {@link #require()} is
 * the one rule for all of them: with {@code CI=true} a service that does not answer fails the test
 * (CI must not pass by skipping), elsewhere the test is skipped with the reason.
 *
 * @param name what the service is, for messages
 * @param variable the environment variable that overrides the URL
 * @param defaultUrl where it runs unless the variable says otherwise
 */
public record ExternalService(String name, String variable, String defaultUrl) {

  public static final ExternalService REDIS =
      new ExternalService("Redis", "HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15");

  public static final ExternalService POSTGRES =
      new ExternalService(
          "PostgreSQL", "HERALD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test");

  /** The service's URL. */
  public String url() {
    return System.getenv().getOrDefault(variable, defaultUrl);
  }

  /**
   * Returns the URL when the service accepts a connection there; otherwise skips the calling test,
   * or fails it with {@code CI=true}.
   */
  public String require() {
    String url = url();
    boolean reachable = accepts(url);
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(
          reachable,
          "no " + name + " at " + url + " (set " + variable + "; with CI=true this fails)");
    } else if (!reachable) {
      throw new IllegalStateException("CI=true but no " + name + " answers at " + url);
    }
    return url;
  }

  private static boolean accepts(String url) {
    URI uri = URI.create(url);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2_000);
      return true;
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }
}
