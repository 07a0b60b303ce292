package dev.herald.store;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link BackendProvider} may need to open its capabilities; each provider reads the part
 * that concerns it.
 *
 * @param url the store's URL, e.g. {@code sqlite} or {@code redis://localhost:6379/0}
 * @param dataDir where a process-local store keeps its files
 * @param durability how much an acknowledged write must survive
 * @param keyPrefix what a key-value store (Redis) puts before every name it writes, so that
 *     deployments can share it
 * @param schema where a relational store (PostgreSQL) keeps its tables, for the same reason
 * @param clock the clock engines and stores read
 * @param digestRules the digest rules whose outboxes the state stores read
 * @param maxLengths the approximate maximum length of each stream that has one
 */
public record StoreSettings(
    String url,
    Path dataDir,
    Durability durability,
    String keyPrefix,
    String schema,
    InstantSource clock,
    List<String> digestRules,
    Map<String, Long> maxLengths) {
  public StoreSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(durability, "durability");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(clock, "clock");
    digestRules = List.copyOf(digestRules);
    maxLengths = Map.copyOf(maxLengths);
  }

  /** The same settings for another URL (the event log's, when it comes from another store). */
  public StoreSettings withUrl(String other) {
    return new StoreSettings(
        other, dataDir, durability, keyPrefix, schema, clock, digestRules, maxLengths);
  }
}
