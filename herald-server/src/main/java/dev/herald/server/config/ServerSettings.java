package dev.herald.server.config;

import dev.herald.sqlite.SqliteDatabase;
import java.nio.file.Path;

/**
 * How the server process runs.
 *
 * @param host the address to listen on
 * @param port the HTTP port (0 picks a free one)
 * @param data the data folder of the embedded store
 * @param maxBodyBytes the largest request body accepted
 * @param sync how hard the embedded store syncs commits
 * @param store {@code sqlite} (the embedded store in {@code data}) or a {@code redis://} URL
 * @param storePrefix the prefix of every key Herald writes to Redis
 * @param http how the HTTP listener protects itself from clients
 */
public record ServerSettings(
    String host,
    int port,
    Path data,
    long maxBodyBytes,
    SqliteDatabase.Sync sync,
    String store,
    String storePrefix,
    HttpSettings http) {

  public static final long DEFAULT_MAX_BODY = 1024 * 1024;

  public ServerSettings withPort(int newPort) {
    return new ServerSettings(host, newPort, data, maxBodyBytes, sync, store, storePrefix, http);
  }

  public ServerSettings withData(Path newData) {
    return new ServerSettings(host, port, newData, maxBodyBytes, sync, store, storePrefix, http);
  }

  public ServerSettings withStore(String newStore, String newPrefix) {
    return new ServerSettings(host, port, data, maxBodyBytes, sync, newStore, newPrefix, http);
  }

  public ServerSettings withHttp(HttpSettings newHttp) {
    return new ServerSettings(host, port, data, maxBodyBytes, sync, store, storePrefix, newHttp);
  }

  public boolean redis() {
    return store.startsWith("redis://") || store.startsWith("rediss://");
  }
}
