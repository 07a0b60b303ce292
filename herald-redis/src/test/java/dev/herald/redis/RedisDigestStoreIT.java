package dev.herald.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStoreContract;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationPage;
import dev.herald.notify.NotificationQuery;
import dev.herald.store.Backend;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RedisDigestStoreIT extends DigestStoreContract {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  public Backend openBackend(InstantSource clock) {
    return new RedisBackend(RedisTestSupport.URL, prefix, clock, List.of("seller-scans"), Map.of());
  }

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }

  @Test
  void shouldReadACursorOfTheFirstFormAsAFloorAndRefuseGarbage() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "P", noon)), noon);
    store.flush(rule, "10", noon);

    NotificationPage all =
        outbox.list(
            new NotificationQuery(
                Optional.empty(), Optional.empty(), Optional.of("0-0~seller-scans~0"), 10));
    assertThat(all.notifications()).extracting(Notification::recipient).containsExactly("10");
    assertThat(all.next()).hasValueSatisfying(next -> assertThat(next).startsWith("c2."));
    NotificationPage none =
        outbox.list(new NotificationQuery(Optional.empty(), Optional.empty(), all.next(), 10));
    assertThat(none.notifications()).isEmpty();
    assertThatThrownBy(
            () ->
                outbox.list(
                    new NotificationQuery(
                        Optional.empty(), Optional.empty(), Optional.of("c2.!!"), 10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a notification cursor");
    assertThatThrownBy(
            () ->
                outbox.list(
                    new NotificationQuery(
                        Optional.empty(), Optional.empty(), Optional.of("nonsense"), 10)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldTakeOverOpenBucketsAndNotificationsWrittenByTheFirstLayout() {
    Instant first = Instant.parse("2022-06-28T19:35:00Z");
    String tag;
    try (RedisDatabase db = RedisDatabase.connect(RedisTestSupport.URL, prefix)) {
      tag = new RedisDigestLayout(db).tag("seller-scans", RedisDigestLayout.shard("10"));
      long f = first.toEpochMilli();
      long l = f + 60_000;
      long d = l + 3_600_000;
      // as the first layout's scripts left them: a hash per bucket, a JSON record per notification
      db.call(
          redis ->
              redis.hset(
                  tag + ":b:10",
                  Map.of(
                      "o",
                      "7-0",
                      "f",
                      Long.toString(f),
                      "l",
                      Long.toString(l),
                      "c",
                      "2",
                      "d",
                      Long.toString(d))));
      db.call(redis -> redis.set(tag + ":i:10", (l) + " \"BBBBBB\"\n" + f + " \"AAAAAA\"\n"));
      db.call(redis -> redis.zadd(tag + ":due", d, "10"));
      db.call(redis -> redis.zadd(tag + ":keys", 0, "10"));
      db.call(
          redis ->
              redis.hset(
                  tag + ":n",
                  "n-old",
                  "{\"id\":\"n-old\",\"rule\":\"seller-scans\",\"r\":\"20\",\"f\":"
                      + f
                      + ",\"l\":"
                      + f
                      + ",\"d\":"
                      + (f + 5000)
                      + ",\"c\":"
                      + (f + 5001)
                      + ",\"i\":\"[\\\"XXXXXX\\\"]\"}"));
    }
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));
    try (Backend backend = openBackend(InstantSource.fixed(first))) {
      assertThat(backend.digests().openBucket("seller-scans", "10"))
          .hasValueSatisfying(
              b -> {
                assertThat(b.count()).isEqualTo(2);
                assertThat(b.dueAt()).isEqualTo(first.plusSeconds(60).plus(Duration.ofHours(1)));
              });
      assertThat(backend.notifications().find("n-old"))
          .hasValueSatisfying(
              n -> {
                assertThat(n.recipient()).isEqualTo("20");
                assertThat(n.items()).extracting(JsonNode::asText).containsExactly("XXXXXX");
              });
      List<Notification> closed =
          backend.digests().closeDue(rule, first.plus(Duration.ofHours(2)), 100);
      assertThat(closed)
          .singleElement()
          .satisfies(
              n -> {
                assertThat(n.recipient()).isEqualTo("10");
                assertThat(n.items())
                    .extracting(JsonNode::asText)
                    .containsExactly("AAAAAA", "BBBBBB");
              });
      assertThat(backend.digests().openBucketCount("seller-scans")).isZero();
    }
  }

  @Test
  void shouldTakeOverOpenBucketsWrittenByTheSecondLayout() {
    Instant first = Instant.parse("2022-06-28T19:35:00Z");
    long f = first.toEpochMilli();
    long l = f + 60_000;
    long d = l + 3_600_000;
    try (RedisDatabase db = RedisDatabase.connect(RedisTestSupport.URL, prefix)) {
      String tag = new RedisDigestLayout(db).tag("seller-scans", RedisDigestLayout.shard("10"));
      // as the second layout's scripts left them: one header per bucket in the shard's hash
      db.call(redis -> redis.hset(tag + ":h", "10", "7-0 " + f + " " + l + " 2 " + d));
      db.call(redis -> redis.set(tag + ":i:10", l + " \"BBBBBB\"\n" + f + " \"AAAAAA\"\n"));
      db.call(redis -> redis.zadd(tag + ":due", d, "10"));
      db.call(redis -> redis.zadd(tag + ":keys", 0, "10"));
      db.call(redis -> redis.set(tag + ":layout", "2"));
    }
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));
    try (Backend backend = openBackend(InstantSource.fixed(first))) {
      assertThat(backend.digests().openBucket("seller-scans", "10"))
          .hasValueSatisfying(
              b -> {
                assertThat(b.openEventId()).isEqualTo("7-0");
                assertThat(b.firstAt()).isEqualTo(first);
                assertThat(b.lastAt()).isEqualTo(first.plusSeconds(60));
                assertThat(b.count()).isEqualTo(2);
                assertThat(b.dueAt()).isEqualTo(Instant.ofEpochMilli(d));
              });
      // an item added after the move lands in the same bucket and moves its deadline
      Instant later = first.plusSeconds(120);
      backend.digests().add(rule, List.of(item("10", "CCCCCC", later)), later);
      List<Notification> closed =
          backend.digests().closeDue(rule, later.plus(Duration.ofHours(2)), 100);
      assertThat(closed)
          .singleElement()
          .satisfies(
              n -> {
                assertThat(n.recipient()).isEqualTo("10");
                assertThat(n.items())
                    .extracting(JsonNode::asText)
                    .containsExactly("AAAAAA", "BBBBBB", "CCCCCC");
                assertThat(n.dueAt()).isEqualTo(later.plus(Duration.ofHours(1)));
              });
      assertThat(backend.digests().openBucketCount("seller-scans")).isZero();
    }
  }
}
