package dev.herald.sqlite;

import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxStore;
import dev.herald.log.EventLog;
import dev.herald.notify.NotificationStore;
import dev.herald.store.Backend;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.InstantSource;

/** The embedded default: every SPI on one SQLite file in the data folder. */
public final class SqliteBackend implements Backend {

  private final SqliteDatabase db;
  private final SqliteEventLog log;
  private final SqliteDigestStore digests;
  private final SqliteNotificationStore notifications;
  private final SqliteInboxStore inboxes;

  public SqliteBackend(Path dataDir, SqliteDatabase.Sync sync, InstantSource clock) {
    this.db = SqliteDatabase.open(dataDir, sync);
    this.log = new SqliteEventLog(db, clock);
    this.digests = new SqliteDigestStore(db);
    this.notifications = new SqliteNotificationStore(db);
    this.inboxes = new SqliteInboxStore(db);
  }

  @Override
  public EventLog log() {
    return log;
  }

  @Override
  public DigestStore digests() {
    return digests;
  }

  @Override
  public NotificationStore notifications() {
    return notifications;
  }

  @Override
  public InboxStore inboxes() {
    return inboxes;
  }

  /** The database itself, for tests that look at its tables. */
  SqliteDatabase database() {
    return db;
  }

  @Override
  public String describe() {
    return "sqlite:" + db.file();
  }

  @Override
  public boolean ready() {
    if (db.writeProblem().isPresent()) {
      return false;
    }
    try {
      return db.read(
          session -> {
            try (ResultSet rs = session.prepare("SELECT 1").executeQuery()) {
              return rs.next();
            }
          });
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
