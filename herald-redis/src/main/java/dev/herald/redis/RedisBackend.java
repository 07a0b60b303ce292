package dev.herald.redis;

import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxStore;
import dev.herald.log.EventLog;
import dev.herald.notify.NotificationStore;
import dev.herald.store.Backend;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/** Every SPI on one Redis: streams for the log, hashes, sorted sets and Lua for digest state. */
public final class RedisBackend implements Backend {

  private final RedisDatabase db;
  private final RedisEventLog log;
  private final RedisDigestStore digests;
  private final RedisNotificationStore notifications;
  private final RedisInboxStore inboxes;

  /**
   * @param rules the digest rules whose outboxes this backend reads
   * @param maxLengths approximate maximum length per stream
   */
  public RedisBackend(
      String url,
      String prefix,
      InstantSource clock,
      List<String> rules,
      Map<String, Long> maxLengths) {
    this.db = RedisDatabase.connect(url, prefix);
    this.log = new RedisEventLog(db, clock, maxLengths);
    this.digests = new RedisDigestStore(db);
    this.notifications = new RedisNotificationStore(db, rules);
    this.inboxes = new RedisInboxStore(db);
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

  @Override
  public String describe() {
    return db.url();
  }

  @Override
  public boolean ready() {
    try {
      return "PONG".equals(db.call(redis -> redis.ping()));
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
