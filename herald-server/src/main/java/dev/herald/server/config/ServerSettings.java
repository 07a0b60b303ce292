package dev.herald.server.config;

import dev.herald.jdbc.SqliteDatabase;
import java.nio.file.Path;

/**
 * How the server process runs.
 *
 * @param host the address to listen on
 * @param port the HTTP port (0 picks a free one)
 * @param data the data folder of the embedded store
 * @param maxBodyBytes the largest request body accepted
 * @param sync how hard the embedded store syncs commits
 */
public record ServerSettings(String host, int port, Path data, long maxBodyBytes, SqliteDatabase.Sync sync) {

  public static final long DEFAULT_MAX_BODY = 1024 * 1024;

  public ServerSettings withPort(int newPort) {
    return new ServerSettings(host, newPort, data, maxBodyBytes, sync);
  }

  public ServerSettings withData(Path newData) {
    return new ServerSettings(host, port, newData, maxBodyBytes, sync);
  }
}
