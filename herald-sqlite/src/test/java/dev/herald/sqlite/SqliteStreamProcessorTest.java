package dev.herald.sqlite;

import dev.herald.process.StreamProcessorContract;
import dev.herald.store.Backend;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;

class SqliteStreamProcessorTest extends StreamProcessorContract {

  @TempDir Path data;

  @Override
  public Backend openBackend(InstantSource clock) {
    return new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock);
  }
}
