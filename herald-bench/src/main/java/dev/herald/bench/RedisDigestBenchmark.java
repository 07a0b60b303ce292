package dev.herald.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestListener;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.notify.Notification;
import dev.herald.redis.RedisBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Herald on Redis beside the design it replaces, on the same Redis and the same workload: {@code
 * scans} scans for {@code sellers} sellers as fast as each design takes them (ingest), then one
 * scan each for {@code openSellers} fresh sellers, all open at once (lateness), quiet period 2 s.
 *
 * <p>The classic design, as users run it: a publisher does {@code XADD packages * seller_id S
 * package_id P} per scan; a consumer loops {@code XREAD COUNT 1 BLOCK 5000 STREAMS packages
 * <last id>} and {@code LPUSH SELLER:<s> <p>} per entry; a checker loops over {@code KEYS
 * SELLER:*}, reads {@code OBJECT IDLETIME} of each, and for keys idle longer than the quiet period
 * reads the list, deletes the key and emits the notification. A scan pushed between its read and
 * its delete is lost; that is counted, not hidden.
 */
final class RedisDigestBenchmark {

  static final Duration QUIET = Duration.ofSeconds(2);

  record Result(String design, long scans, double ingestPerSecond, long openSellers, Histogram latenessMicros,
      long lost, long duplicated, double redisCpuMicrosPerEvent) {}

  private final String url;
  private final int scans;
  private final int sellers;
  private final int openSellers;

  RedisDigestBenchmark(String url, int scans, int sellers, int openSellers) {
    this.url = url;
    this.scans = scans;
    this.sellers = sellers;
    this.openSellers = openSellers;
  }

  /** Scans emitted, the time each seller's last scan was published, and what came out. */
  private static final class Ledger {
    final Map<String, Long> lastScanMs = new ConcurrentHashMap<>();
    final Map<String, Integer> notified = new ConcurrentHashMap<>();
    final Histogram lateness = new Histogram(3);
    final AtomicLong emitted = new AtomicLong();

    synchronized void emit(String seller, List<String> items, long nowMs) {
      items.forEach(i -> notified.merge(i, 1, Integer::sum));
      Long last = lastScanMs.get(seller);
      if (last != null) {
        lateness.recordValue(Math.max(0, (nowMs - (last + QUIET.toMillis())) * 1000));
      }
      emitted.addAndGet(items.size());
    }

    long duplicated() {
      return notified.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
    }
  }

  private static double redisCpuSeconds(RedisCommands<String, String> redis) {
    double cpu = 0;
    for (String line : redis.info("cpu").split("\r?\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        cpu += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
    }
    return cpu;
  }

  Result classic() throws InterruptedException {
    RedisClient client = RedisClient.create(url);
    try (StatefulRedisConnection<String, String> pub = client.connect();
        StatefulRedisConnection<String, String> cons = client.connect();
        StatefulRedisConnection<String, String> check = client.connect()) {
      RedisCommands<String, String> p = pub.sync();
      p.flushdb();
      Ledger ledger = new Ledger();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong consumed = new AtomicLong();
      Thread consumer = Thread.ofPlatform().start(() -> {
        RedisCommands<String, String> c = cons.sync();
        String last = "0-0";
        while (running.get()) {
          List<StreamMessage<String, String>> entries = c.xread(XReadArgs.Builder.count(1).block(5000),
              XReadArgs.StreamOffset.from("packages", last));
          for (StreamMessage<String, String> m : entries) {
            c.lpush("SELLER:" + m.getBody().get("seller_id"), m.getBody().get("package_id"));
            last = m.getId();
            consumed.incrementAndGet();
          }
        }
      });
      Thread checker = Thread.ofPlatform().start(() -> {
        RedisCommands<String, String> k = check.sync();
        while (running.get()) {
          for (String key : k.keys("SELLER:*")) {
            Long idle = k.objectIdletime(key);
            if (idle != null && idle >= QUIET.toSeconds()) {
              List<String> items = k.lrange(key, 0, -1);
              k.del(key);
              ledger.emit(key.substring("SELLER:".length()), items, System.currentTimeMillis());
            }
          }
        }
      });
      double cpuBefore = redisCpuSeconds(p);
      long start = System.nanoTime();
      for (int i = 0; i < scans; i++) {
        String seller = Integer.toString(i % sellers);
        ledger.lastScanMs.put(seller, System.currentTimeMillis());
        p.xadd("packages", Map.of("seller_id", seller, "package_id", "P" + i));
      }
      EmbeddedDigestBenchmark.await(() -> consumed.get() >= scans, Duration.ofMinutes(10));
      double ingest = scans / ((System.nanoTime() - start) / 1e9);
      System.out.printf("  classic: ingested %,d scans at %,.0f/s%n", scans, ingest);
      // Scans lost to the read-then-delete race never come out: wait for the keys to be gone instead.
      EmbeddedDigestBenchmark.await(Duration.ofMillis(200), () -> p.keys("SELLER:*").isEmpty(), Duration.ofMinutes(5));
      ledger.lateness.reset();
      for (int i = 0; i < openSellers; i++) {
        String seller = "open-" + i;
        ledger.lastScanMs.put(seller, System.currentTimeMillis());
        p.xadd("packages", Map.of("seller_id", seller, "package_id", "Q" + i));
      }
      long total = (long) scans + openSellers;
      EmbeddedDigestBenchmark.await(() -> consumed.get() >= total, Duration.ofMinutes(10));
      // Whatever is still missing a while after the last possible due time was lost.
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (ledger.notified.size() < total && System.nanoTime() < deadline && !p.keys("SELLER:*").isEmpty()) {
        Thread.sleep(200);
      }
      double cpu = redisCpuSeconds(p) - cpuBefore;
      running.set(false);
      p.xadd("packages", Map.of("seller_id", "stop", "package_id", "stop"));
      consumer.join(10_000);
      checker.join(60_000);
      long lost = total - ledger.notified.size();
      return new Result("classic XADD/XREAD/LPUSH/KEYS", total, ingest, openSellers, ledger.lateness, lost, ledger.duplicated(),
          cpu * 1e6 / total);
    } finally {
      client.shutdown();
    }
  }

  Result herald() throws InterruptedException {
    InstantSource clock = InstantSource.system();
    DigestRule rule = DigestRule.of("seller-scans", "packages", "seller_id", "package_id", QUIET);
    Ledger ledger = new Ledger();
    DigestListener listener = new DigestListener() {
      @Override
      public void onNotification(Notification n) {
        List<String> items = n.items().stream().map(JsonNode::asText).toList();
        ledger.emit(n.recipient(), items, System.currentTimeMillis());
      }
    };
    RedisClient client = RedisClient.create(url);
    try (StatefulRedisConnection<String, String> admin = client.connect();
        RedisBackend backend = new RedisBackend(url, "bench:", clock, List.of(rule.name()), Map.of())) {
      admin.sync().flushdb();
      DigestEngine engine = new DigestEngine(backend.log(), backend.digests(), List.of(rule), clock,
          DigestEngine.Options.defaults("bench"), listener);
      try (AgentRunner runner = new AgentRunner(engine, Duration.ofMillis(1)).start()) {
        double cpuBefore = redisCpuSeconds(admin.sync());
        long start = System.nanoTime();
        publish(backend, ledger, 0, scans, i -> Integer.toString(i % sellers), "P");
        EmbeddedDigestBenchmark.await(() -> backend.log().info("packages").groups().getFirst().lag() == 0
            && backend.log().info("packages").groups().getFirst().pending() == 0, Duration.ofMinutes(10));
        double ingest = scans / ((System.nanoTime() - start) / 1e9);
        System.out.printf("  herald: ingested %,d scans at %,.0f/s%n", scans, ingest);
        EmbeddedDigestBenchmark.await(Duration.ofMillis(50), () -> backend.digests().openBucketCount(rule.name()) == 0, Duration.ofMinutes(5));
        ledger.lateness.reset();
        publish(backend, ledger, 0, openSellers, i -> "open-" + i, "Q");
        long total = (long) scans + openSellers;
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while ((ledger.notified.size() < total || backend.digests().openBucketCount(rule.name()) > 0) && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        double cpu = redisCpuSeconds(admin.sync()) - cpuBefore;
        return new Result("Herald on Redis", total, ingest, openSellers, ledger.lateness, total - ledger.notified.size(),
            ledger.duplicated(), cpu * 1e6 / total);
      }
    } finally {
      client.shutdown();
    }
  }

  /** Herald's way in: batches of 500 (as the HTTP API takes them), 4 publishers. */
  private static void publish(RedisBackend backend, Ledger ledger, int from, int to,
      java.util.function.IntFunction<String> seller, String prefix) throws InterruptedException {
    AtomicLong next = new AtomicLong(from);
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      publishers.add(Thread.ofPlatform().start(() -> {
        for (long b = next.getAndAdd(500); b < to; b = next.getAndAdd(500)) {
          List<NewEvent> batch = new ArrayList<>(500);
          long now = System.currentTimeMillis();
          for (int i = (int) b; i < Math.min(to, b + 500); i++) {
            ObjectNode scan = Json.object();
            scan.put("seller_id", seller.apply(i));
            scan.put("package_id", prefix + i);
            batch.add(NewEvent.of(scan));
            ledger.lastScanMs.put(seller.apply(i), now);
          }
          backend.log().appendAll("packages", batch);
        }
      }));
    }
    for (Thread publisher : publishers) {
      publisher.join();
    }
  }
}
