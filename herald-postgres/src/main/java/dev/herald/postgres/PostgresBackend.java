package dev.herald.postgres;

import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxStore;
import dev.herald.log.EventLog;
import dev.herald.notify.NotificationStore;
import dev.herald.store.Backend;
import java.time.InstantSource;

/** Every SPI on one PostgreSQL database, in one schema: the event log and every state store. */
public final class PostgresBackend implements Backend {

  /** Connections per process: engines, dispatchers, monitors and requests share them. */
  static final int POOL_SIZE = 10;

  private final PostgresDatabase db;
  private final PostgresEventLog log;
  private final PostgresDigestStore digests;
  private final PostgresNotificationStore notifications;
  private final PostgresInboxStore inboxes;

  /**
   * Connects and migrates the schema.
   *
   * @throws dev.herald.log.StoreUnavailableException when the database cannot be used
   */
  public PostgresBackend(PostgresUrl url, InstantSource clock) {
    this.db = PostgresDatabase.open(url, POOL_SIZE);
    this.log = new PostgresEventLog(db, clock);
    this.notifications = new PostgresNotificationStore(db);
    this.digests = new PostgresDigestStore(db, notifications.origin());
    this.inboxes = new PostgresInboxStore(db);
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
  PostgresDatabase database() {
    return db;
  }

  @Override
  public String describe() {
    return db.url().describe();
  }

  @Override
  public boolean ready() {
    return db.ready();
  }

  @Override
  public void close() {
    db.close();
  }
}
