package dev.herald.jdbc;

import dev.herald.log.EventLog;
import dev.herald.log.EventLogContract;
import dev.herald.testing.ClosingEventLog;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.io.TempDir;

class SqliteEventLogTest extends EventLogContract {

  @TempDir Path data;

  @Override
  protected EventLog openLog(InstantSource clock) {
    SqliteBackend backend = new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock);
    return new ClosingEventLog(backend.log(), backend);
  }
}
