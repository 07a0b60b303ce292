package dev.herald.server.listener;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which web origins may act on Herald from a browser: the server's own (the page's origin names the
 * host the request went to) and those configured in {@code server.allowedOrigins}. A request
 * without an {@code Origin} header does not come from a web page's script (curl, the CLI,
 * services), and is not this policy's concern.
 *
 * <p>Immutable and thread-safe.
 */
public final class OriginPolicy {

  private final Set<String> allowed;

  public OriginPolicy(List<String> allowedOrigins) {
    this.allowed =
        allowedOrigins.stream()
            .map(o -> o.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Whether a request that says it comes from {@code origin} and was sent to {@code host} is
   * allowed.
   */
  public boolean allows(String origin, Optional<String> host) {
    String normalized = origin.trim().toLowerCase(Locale.ROOT);
    if (allowed.contains(normalized)) {
      return true;
    }
    if (host.isEmpty()) {
      return false;
    }
    try {
      URI uri = new URI(normalized);
      if (uri.getHost() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
        return false; // "null" (a sandboxed frame, a file), or no web origin at all
      }
      String authority = uri.getRawAuthority();
      return authority.equals(host.get().trim().toLowerCase(Locale.ROOT));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** The sentence that says who may, for a refusal. */
  public String describe() {
    return "only pages of this server's own origin"
        + (allowed.isEmpty() ? "" : " and of " + allowed.stream().sorted().toList())
        + " may (server.allowedOrigins)";
  }
}
