package dev.herald.server.config;

import dev.herald.store.Durability;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the server process runs.
 *
 * @param host the address to listen on
 * @param port the HTTP port (0 picks a free one)
 * @param data the data folder of the embedded store
 * @param maxBodyBytes the largest request body accepted
 * @param durability how much an acknowledged write survives ({@code sync})
 * @param store the store of the state and, unless {@code log} says otherwise, of the event log:
 *     {@code sqlite} (the embedded store in {@code data}) or a {@code redis://} URL
 * @param storePrefix the prefix of every key Herald writes to a shared key-value store (Redis)
 * @param storeSchema the schema of Herald's tables in a shared relational store (PostgreSQL)
 * @param log the store of the event log, when it is not {@code store}'s
 * @param http how the HTTP listener protects itself from clients
 */
public record ServerSettings(
    String host,
    int port,
    Path data,
    long maxBodyBytes,
    Durability durability,
    String store,
    String storePrefix,
    String storeSchema,
    Optional<String> log,
    HttpSettings http) {

  public static final long DEFAULT_MAX_BODY = 1024 * 1024;

  public ServerSettings {
    Objects.requireNonNull(log, "log");
  }

  public ServerSettings withPort(int newPort) {
    return new ServerSettings(
        host, newPort, data, maxBodyBytes, durability, store, storePrefix, storeSchema, log, http);
  }

  public ServerSettings withData(Path newData) {
    return new ServerSettings(
        host, port, newData, maxBodyBytes, durability, store, storePrefix, storeSchema, log, http);
  }

  public ServerSettings withStore(String newStore, String newPrefix) {
    return new ServerSettings(
        host, port, data, maxBodyBytes, durability, newStore, newPrefix, storeSchema, log, http);
  }

  public ServerSettings withStoreSchema(String newSchema) {
    return new ServerSettings(
        host, port, data, maxBodyBytes, durability, store, storePrefix, newSchema, log, http);
  }

  public ServerSettings withLog(Optional<String> newLog) {
    return new ServerSettings(
        host, port, data, maxBodyBytes, durability, store, storePrefix, storeSchema, newLog, http);
  }

  public ServerSettings withHttp(HttpSettings newHttp) {
    return new ServerSettings(
        host, port, data, maxBodyBytes, durability, store, storePrefix, storeSchema, log, newHttp);
  }

  /** The store the event log comes from. */
  public String logStore() {
    return log.orElse(store);
  }
}
