package dev.herald.route;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The directories of a process, replaceable at runtime. A replacement is seen by the next event a
 * route expands: routes look their directory up for every batch rather than keeping a copy.
 *
 * <p>Thread-safety: safe for concurrent use; a directory is immutable, so readers never see half
 * of a replacement.
 */
public final class Directories {

  /** Told after a directory was replaced, e.g. to write it back to its file. */
  @FunctionalInterface
  public interface ReplaceListener {
    void onReplaced(Directory directory);
  }

  private final Map<String, Directory> byName = new ConcurrentHashMap<>();
  private final ReplaceListener listener;

  public Directories(List<Directory> initial, ReplaceListener listener) {
    initial.forEach(d -> byName.put(d.name(), d));
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  public Optional<Directory> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<String> names() {
    return byName.keySet().stream().sorted().toList();
  }

  /**
   * Replaces the directory of that name; only declared directories can be replaced.
   *
   * @throws IllegalArgumentException if no directory of that name is declared
   */
  public void replace(Directory directory) {
    if (byName.computeIfPresent(directory.name(), (name, old) -> directory) == null) {
      throw new IllegalArgumentException("no directory is named '" + directory.name() + "'");
    }
    listener.onReplaced(directory);
  }
}
