package dev.herald.redis;

/**
 * Where a rule's digest state lives in Redis. A rule is split into {@link #SHARDS} shards by key;
 * every key of one shard carries the hash tag {@code {d:<rule>:<shard>}}, so one Lua script can
 * change a bucket, the shard's due index and its outbox atomically, on Redis Cluster too, and the
 * due index is 16 sorted sets rather than one hot key.
 *
 * <pre>
 *   T:b:&lt;key&gt;   hash    open bucket: o (opening event), f, l (first/last ms), d (due ms), c (count)
 *   T:i:&lt;key&gt;   string  its items, inline ("&lt;ms&gt; &lt;json&gt;\n" appended)
 *   T:due       zset    key → due ms
 *   T:keys      zset    key (lexicographic listing of open buckets)
 *   T:seen      zset    event id → ms it was taken (idempotency; pruned after 7 days)
 *   T:out       stream  notification ids, with ids from the closing time ("&lt;ms&gt;-&lt;seq&gt;")
 *   T:outms     string  the last closing time used in T:out, so ids stay increasing
 *   T:n         hash    notification id → record (JSON)
 *   T:dl        hash    "&lt;id&gt;|&lt;sink&gt;" → "&lt;STATE&gt;|&lt;attempts&gt;"
 *   T:sched     zset    "&lt;id&gt;|&lt;sink&gt;" → next attempt ms, while pending
 *   T:at:&lt;id&gt;|&lt;sink&gt;  list  attempts, "&lt;n&gt;|&lt;ms&gt;|&lt;1 or 0&gt;|&lt;detail&gt;"
 * </pre>
 */
final class RedisDigestLayout {

  static final int SHARDS = 16;

  private final RedisDatabase db;

  RedisDigestLayout(RedisDatabase db) {
    this.db = db;
  }

  static int shard(String key) {
    return Math.floorMod(key.hashCode(), SHARDS);
  }

  /** The prefix of every key of the shard, hash tag included. */
  String tag(String rule, int shard) {
    return db.key("{d:" + rule + ":" + shard + "}");
  }

  String[] keys(String rule, int shard) {
    String t = tag(rule, shard);
    return new String[] {t + ":due", t + ":seen", t + ":out", t + ":n", t + ":dl", t + ":sched", t + ":keys"};
  }
}
