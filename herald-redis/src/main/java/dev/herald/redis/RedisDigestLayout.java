package dev.herald.redis;

/**
 * Where a rule's digest state lives in Redis. A rule is split into {@link #SHARDS} shards by key;
 * every key of one shard carries the hash tag {@code {d:<rule>:<shard>}}, so one Lua script can
 * change a bucket, the shard's due index and its outbox atomically, on Redis Cluster too, and the
 * due index is 16 sorted sets rather than one hot key.
 *
 * <pre>
 *   T:due       zset    key → due ms of its open bucket
 *   T:first     zset    key → earliest item time, ms
 *   T:last      zset    key → latest item time, ms
 *   T:o         hash    key → the event that opened the bucket (the notification id comes from it)
 *   T:i:&lt;key&gt;   string  its items, inline ("&lt;ms&gt; &lt;json&gt;\n" appended; the count is the lines)
 *   T:keys      zset    key (lexicographic listing of open buckets)
 *   T:seen      zset    event id → ms it was taken (idempotency; pruned after 7 days)
 *   T:out       stream  notification ids, with ids from the closing time ("&lt;ms&gt;-&lt;seq&gt;")
 *   T:outms     string  the last closing time used in T:out, so ids stay increasing
 *   T:n         hash    notification id → record: "&lt;id&gt; &lt;first&gt; &lt;last&gt; &lt;due&gt; &lt;created ms&gt;\n"
 *                       then the rule and the key as JSON strings, a line each, then the items inline
 *   T:layout    string  "3" once the shard's state is in this layout. The first kept a hash
 *                       T:b:&lt;key&gt; per bucket; the second a header per bucket in the hash T:h,
 *                       read and rewritten by every add. Open buckets of either are moved on first use.
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
    return new String[] {
      t + ":due",
      t + ":seen",
      t + ":out",
      t + ":n",
      t + ":dl",
      t + ":sched",
      t + ":keys",
      t + ":o",
      t + ":first",
      t + ":last"
    };
  }
}
