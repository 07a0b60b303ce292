package dev.herald.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxRule;
import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.LogSink;
import dev.herald.notify.StreamSink;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What makes the Redis layout work on Redis Cluster, checked on the keys a real workload writes:
 * every key carries a hash tag in its own name (after the prefix), so a script only touches keys of
 * one slot, and shards of one rule or inbox land in different slots.
 */
class RedisClusterLayoutIT {

  private final String prefix = RedisTestSupport.freshPrefix();

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }

  @Test
  void everyKeyIsTaggedAndShardsSpreadOverSlots() {
    Instant now = Instant.parse("2022-06-28T12:00:00Z");
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofSeconds(5))
            .withDeliver(List.of(new LogSink(), new StreamSink("notifications")));
    InboxRule inbox =
        InboxRule.of(
            "reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));
    try (RedisBackend backend =
        new RedisBackend(
            RedisTestSupport.URL,
            prefix,
            InstantSource.fixed(now),
            List.of(rule.name()),
            Map.of())) {
      List<DigestItem> items = new ArrayList<>();
      List<InboxDelivery> deliveries = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        items.add(
            new DigestItem(
                (i + 1) + "-0", i + 1, "seller {" + i + "}", now, TextNode.valueOf("P" + i)));
        ObjectNode data = Json.object();
        data.put("review_id", "r" + i);
        deliveries.add(new InboxDelivery("d" + i, "user {" + i + "}", "r" + i, now, data));
      }
      backend.log().appendAll("scans", List.of(NewEvent.of(Json.object())));
      backend.digests().add(rule, items, now);
      backend.digests().closeDue(rule, now.plusSeconds(10), 32);
      var tasks = backend.notifications().takeDue(now.plusSeconds(10), Duration.ofSeconds(60), 10);
      backend
          .notifications()
          .record(
              tasks.stream()
                  .map(
                      t ->
                          new DeliveryOutcome(
                              t, now, false, "down", Optional.of(now.plusSeconds(1))))
                  .toList());
      backend.inboxes().add(inbox, deliveries, now);
      backend.inboxes().pull(inbox.name(), "user {1}", now);
    }

    Pattern tagged =
        Pattern.compile(Pattern.quote(prefix) + "[^{}]*\\{([^}]+)\\}.*", Pattern.DOTALL);
    List<String> keys = new ArrayList<>();
    java.util.Set<Integer> digestSlots = new java.util.HashSet<>();
    java.util.Set<Integer> inboxSlots = new java.util.HashSet<>();
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(RedisTestSupport.URL);
    try (var connection = client.connect()) {
      ScanIterator<String> scan =
          ScanIterator.scan(connection.sync(), ScanArgs.Builder.matches(prefix + "*").limit(500));
      scan.forEachRemaining(keys::add);
    } finally {
      client.shutdown();
    }
    assertThat(keys)
        .as("the workload wrote digest, outbox, delivery and inbox keys")
        .hasSizeGreaterThan(40);
    for (String key : keys) {
      var m = tagged.matcher(key);
      assertThat(m.matches())
          .as("key %s has a hash tag in its name after the prefix", key)
          .isTrue();
      int slot = SlotHash.getSlot(key);
      assertThat(slot)
          .as("key %s hashes by its tag alone", key)
          .isEqualTo(SlotHash.getSlot("{" + m.group(1) + "}"));
      if (m.group(1).startsWith("d:")) {
        digestSlots.add(slot);
      } else if (m.group(1).startsWith("in:")) {
        inboxSlots.add(slot);
      }
    }
    assertThat(digestSlots).as("a rule's shards are spread over slots").hasSizeGreaterThan(8);
    assertThat(inboxSlots).as("an inbox's shards are spread over slots").hasSizeGreaterThan(8);
  }

  @Test
  void aPrefixWithBracesIsRefusedBecauseItWouldOverrideTheTags() {
    assertThatThrownBy(() -> RedisDatabase.connect(RedisTestSupport.URL, "herald{x}:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not contain '{' or '}'");
  }
}
