package dev.herald.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.retry.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One {@code herald.yaml} being read: its sections, the streams declared so far, and the checks
 * every section's parser shares, each failing with a {@link ConfigException} that names the file,
 * the line and what is allowed.
 *
 * <p>Sections are read in order; a job's parser sees the streams declared by the {@code streams}
 * section and by the jobs read before it, and may declare the streams it writes itself.
 */
public final class ConfigReader {

  private final LocatedYaml yaml;
  private final Map<String, StreamConfig> streams = new LinkedHashMap<>();
  private final Set<String> declaredByHerald = new HashSet<>();

  ConfigReader(LocatedYaml yaml) {
    this.yaml = yaml;
  }

  /** The configuration file. */
  public Path file() {
    return yaml.file();
  }

  /** The top-level section {@code name}; a missing node when absent. */
  public JsonNode section(String name) {
    return yaml.root().path(name);
  }

  /** An error at the JSON pointer {@code at} (like {@code /digests/parcels/stream}). */
  public ConfigException error(String at, String problem) {
    return yaml.error(at, problem);
  }

  /** The streams declared so far, by name. */
  public Map<String, StreamConfig> streams() {
    return Collections.unmodifiableMap(streams);
  }

  void declare(StreamConfig stream) {
    streams.put(stream.name(), stream);
  }

  /**
   * Declares {@code stream}, unlimited, when no section did: a stream a user names (a chat topic)
   * without declaring it under {@code streams}.
   */
  public void declareUnlimited(String stream) {
    streams.putIfAbsent(stream, StreamConfig.unlimited(stream));
  }

  /**
   * Declares a stream Herald writes itself (alerts, failed notifications, dead letters), unlimited,
   * when the user did not declare it. Such streams alone do not make a configuration that does
   * something.
   */
  public void declareWrittenByHerald(String stream) {
    if (!streams.containsKey(stream)) {
      streams.put(stream, StreamConfig.unlimited(stream));
      declaredByHerald.add(stream);
    }
  }

  /** Whether some stream was declared by the user, not only by Herald for itself. */
  boolean declaresUserStreams() {
    return !declaredByHerald.containsAll(streams.keySet());
  }

  /** Fails unless {@code stream} is declared. */
  public void requireStream(String stream, String at) {
    if (!streams.containsKey(stream)) {
      throw error(
          at,
          "stream '" + stream + "' is not declared under streams; declared: " + streams.keySet());
    }
  }

  /** The required field {@code field} of {@code body}, naming a declared stream. */
  public String declaredStream(JsonNode body, String at, String field, String what) {
    String stream =
        text(body, at, field).orElseThrow(() -> error(at, "'" + field + "' is required: " + what));
    requireStream(stream, at + "/" + field);
    return stream;
  }

  public void requireObject(JsonNode node, String at) {
    if (!node.isObject()) {
      throw error(at, "must be a mapping, but was " + node);
    }
  }

  /** Fails on a setting of {@code node} outside {@code allowed}: a typo must not drop a setting. */
  public void allowOnly(JsonNode node, String at, Set<String> allowed) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw error(
            at + "/" + name,
            "unknown setting '" + name + "'; allowed here: " + new TreeSet<>(allowed));
      }
    }
  }

  public Optional<String> text(JsonNode parent, String at, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isValueNode()) {
      throw error(at + "/" + field, field + " must be text, but was " + node);
    }
    return Optional.of(node.asText());
  }

  public int integer(JsonNode node, String at, int min, int max) {
    if (!node.canConvertToInt()
        || !node.isIntegralNumber()
        || node.intValue() < min
        || node.intValue() > max) {
      throw error(at, "must be a whole number from " + min + " to " + max + ", but was " + node);
    }
    return node.intValue();
  }

  /** A positive ISO-8601 duration, when set. */
  public Optional<Duration> optionalDuration(JsonNode parent, String at, String field) {
    Optional<String> raw = text(parent, at, field);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      Duration duration = Duration.parse(raw.get());
      if (duration.isNegative() || duration.isZero()) {
        throw error(at + "/" + field, field + " must be positive, but was " + raw.get());
      }
      return Optional.of(duration);
    } catch (DateTimeParseException e) {
      throw error(
          at + "/" + field,
          field
              + " must be an ISO-8601 duration such as PT1H, PT30M or PT5S, but was "
              + raw.get());
    }
  }

  /** A retry policy at {@code at}: each setting missing there is the default's. */
  public RetryPolicy retry(JsonNode node, String at, RetryPolicy defaults) {
    if (node.isMissingNode() || node.isNull()) {
      return defaults;
    }
    requireObject(node, at);
    allowOnly(node, at, Set.of("maxAttempts", "initialBackoff", "maxBackoff", "jitter"));
    int attempts =
        node.has("maxAttempts")
            ? integer(node.get("maxAttempts"), at + "/maxAttempts", 1, 1000)
            : defaults.maxAttempts();
    double jitter = defaults.jitter();
    if (node.has("jitter")) {
      JsonNode value = node.get("jitter");
      if (!value.isNumber() || value.doubleValue() < 0 || value.doubleValue() > 1) {
        throw error(
            at + "/jitter",
            "jitter is the share of a wait drawn at random, a number from 0 to 1, but was "
                + value);
      }
      jitter = value.doubleValue();
    }
    Duration initial =
        optionalDuration(node, at, "initialBackoff").orElse(defaults.initialBackoff());
    Duration max = optionalDuration(node, at, "maxBackoff").orElse(defaults.maxBackoff());
    if (max.compareTo(initial) < 0) {
      throw error(
          at + "/maxBackoff",
          "maxBackoff (" + max + ") is shorter than initialBackoff (" + initial + ")");
    }
    return new RetryPolicy(attempts, initial, max, jitter);
  }
}
