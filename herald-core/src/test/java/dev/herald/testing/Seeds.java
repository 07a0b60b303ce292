package dev.herald.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The real inputs of the prototypes Herald replaces, in {@code shared/data/seeds} beside the
 * repository (CI has it). Tests find it by walking up from the working directory; with {@code
 * CI=true} a missing seed fails the test, elsewhere it is skipped, as {@link ExternalService} does.
 */
public final class Seeds {

  private Seeds() {}

  /** The seed file {@code name}, e.g. {@code base_teste.txt}. */
  public static Path require(String name) {
    Optional<Path> found = find(name);
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(
          found.isPresent(), "no shared/data/seeds/" + name + " above the working directory");
    } else if (found.isEmpty()) {
      throw new IllegalStateException("CI=true but no shared/data/seeds/" + name + " was found");
    }
    return found.orElseThrow();
  }

  private static Optional<Path> find(String name) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path seed = dir.resolve("shared").resolve("data").resolve("seeds").resolve(name);
      if (Files.isRegularFile(seed)) {
        return Optional.of(seed);
      }
    }
    return Optional.empty();
  }
}
