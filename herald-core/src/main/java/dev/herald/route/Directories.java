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
 * <p>Thread-safety: safe for concurrent use; a directory is immutable, so readers never see half of
 * a replacement.
 */
public final class Directories {

  /**
   * Told before a directory is replaced, e.g. to write it to its file first: when it throws, the
   * old directory stays, so that what routes use and what a restart reads never differ.
   */
  @FunctionalInterface
  public interface ReplaceListener {
    void onReplacing(Directory directory);
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
   * Replaces the directory of that name once the listener took it; only declared directories can be
   * replaced. Replacements are made one at a time, so the last one the listener took is the one in
   * use.
   *
   * @throws IllegalArgumentException if no directory of that name is declared
   * @throws RuntimeException what the listener threw; the old directory stays
   */
  public synchronized void replace(Directory directory) {
    if (!byName.containsKey(directory.name())) {
      throw new IllegalArgumentException("no directory is named '" + directory.name() + "'");
    }
    listener.onReplacing(directory);
    byName.put(directory.name(), directory);
  }
}
