package dev.herald.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.digest.DigestRule;
import dev.herald.notify.LogSink;
import dev.herald.notify.StreamSink;
import dev.herald.notify.WebhookSink;
import dev.herald.server.Jobs;
import dev.herald.server.digests.DigestsConfig;
import dev.herald.server.digests.DigestsJob;
import dev.herald.server.live.LiveJob;
import dev.herald.server.reviews.ReviewsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("herald.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private HeraldConfig load(String yaml) throws IOException {
    return Jobs.configLoader(Map.of()).load(write(yaml));
  }

  @Test
  void shouldLoadTheShippedConfiguration() {
    HeraldConfig config = Jobs.configLoader(Map.of()).load(Path.of("../herald.yaml"));

    DigestRule rule = config.job(DigestsConfig.class).rule("seller-scans").orElseThrow();
    assertThat(rule.stream()).isEqualTo("scans");
    assertThat(rule.groupBy()).isEqualTo("seller_id");
    assertThat(rule.collect()).containsExactly("package_id");
    assertThat(rule.quietPeriod()).isEqualTo(Duration.ofHours(1));
    assertThat(rule.deliver()).containsExactly(new LogSink(), new StreamSink("notifications"));
    assertThat(config.streams())
        .containsKeys("scans", "notifications", DigestsConfig.FAILED_STREAM);
    assertThat(config.server().port()).isEqualTo(8080);
  }

  @Test
  void shouldReadEveryDigestSetting() throws IOException {
    HeraldConfig config =
        load(
            """
        streams:
          scans: {maxLength: 100, maxAge: P7D}
        digests:
          d:
            stream: scans
            groupBy: seller_id
            collect: [package_id, weight]
            quietPeriod: PT5S
            maxWait: PT4H
            maxItems: 1000
            timeField: date_time
            deliver:
              - webhook: http://localhost:9000/hook
                secret: s3cret
        """);

    DigestRule rule = config.job(DigestsConfig.class).rule("d").orElseThrow();
    assertThat(rule.collect()).containsExactly("package_id", "weight");
    assertThat(rule.maxWait()).contains(Duration.ofHours(4));
    assertThat(rule.maxItems()).hasValue(1000);
    assertThat(rule.timeField()).contains("date_time");
    assertThat(rule.deliver())
        .singleElement()
        .isInstanceOfSatisfying(WebhookSink.class, w -> assertThat(w.secret()).contains("s3cret"));
    assertThat(config.streams().get("scans").maxLength()).hasValue(100);
    assertThat(config.streams().get("scans").maxAge()).contains(Duration.ofDays(7));
  }

  @Test
  void shouldDeclareADeadLetterStreamPerConsumerWrittenByHeraldAndReadTheProcessingSection()
      throws IOException {
    HeraldConfig config =
        load(
            """
        streams:
          scans: {}
          other: {}
        digests:
          a: {stream: scans, groupBy: seller_id, quietPeriod: PT1M}
          b: {stream: other, groupBy: seller_id, quietPeriod: PT1M}
        processing:
          maxAttempts: 3
          initialBackoff: PT0.5S
          maxBackoff: PT4S
          jitter: 0.25
          deadLetters:
            digest:b: other.rejects
        """);

    assertThat(config.processing().retry())
        .isEqualTo(
            new dev.herald.retry.RetryPolicy(
                3, Duration.ofMillis(500), Duration.ofSeconds(4), 0.25));
    assertThat(config.processing().deadLetterStream("digest:a", "scans")).isEqualTo("scans.dead");
    assertThat(config.processing().deadLetterStream("digest:b", "other"))
        .isEqualTo("other.rejects");
    assertThat(config.streams()).containsKeys("scans.dead", "other.rejects");
    assertThat(config.writtenByHerald())
        .containsEntry("scans.dead", "digest:a (the events it gave up: dead letters)");
  }

  @Test
  void shouldRefuseADeadLetterStreamOfAnUnknownConsumerOrOneThatAConsumerReads() {
    assertThatThrownBy(
            () ->
                load(
                    """
        streams: {scans: {}}
        digests:
          a: {stream: scans, groupBy: seller_id, quietPeriod: PT1M}
        processing:
          deadLetters: {digest:nope: x}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 5 (processing.deadLetters.digest:nope)")
        .hasMessageContaining("'digest:nope' is no consumer; the consumers are [digest:a]");
    assertThatThrownBy(
            () ->
                load(
                    """
        streams: {scans: {}, other: {}}
        digests:
          a: {stream: scans, groupBy: seller_id, quietPeriod: PT1M}
          b: {stream: other, groupBy: seller_id, quietPeriod: PT1M}
        processing:
          deadLetters: {digest:a: other}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "the dead letters of digest:a would go to stream 'other', which digest:b reads");
    assertThatThrownBy(
            () ->
                load(
                    """
        streams: {scans: {}}
        processing: {jitter: 2}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(processing.jitter)")
        .hasMessageContaining("a number from 0 to 1, but was 2");
  }

  @Test
  void shouldNameTheFileLineAndProblemForABadDuration() throws IOException {
    Path file =
        write(
            """
        streams:
          scans: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            quietPeriod: 1h
        """);

    assertThatThrownBy(() -> Jobs.configLoader(Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("line 7")
        .hasMessageContaining("ISO-8601 duration")
        .hasMessageContaining("but was 1h");
  }

  @Test
  void shouldRejectAnUnknownSettingNamingIt() {
    assertThatThrownBy(
            () ->
                load(
                    """
        streams:
          scans: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            quietPeriod: PT1H
            quietperiod: PT2H
        """))
        .hasMessageContaining("line 8")
        .hasMessageContaining("unknown setting 'quietperiod'");
  }

  @Test
  void shouldRejectADigestOnAnUndeclaredStream() {
    assertThatThrownBy(
            () ->
                load(
                    """
        streams:
          scans: {}
        digests:
          d:
            stream: scanz
            groupBy: seller_id
            quietPeriod: PT1H
        """))
        .hasMessageContaining("line 5")
        .hasMessageContaining("stream 'scanz' is not declared");
  }

  @Test
  void shouldReportInvalidYamlWithItsLine() {
    assertThatThrownBy(() -> load("streams:\n  scans: {}\ndigests: [unclosed\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void shouldReportAMissingFile() {
    assertThatThrownBy(() -> Jobs.configLoader(Map.of()).load(dir.resolve("missing.yaml")))
        .hasMessageContaining("missing.yaml does not exist");
  }

  @Test
  void shouldLetTheEnvironmentOverrideServerSettings() throws IOException {
    Path file = write("server:\n  port: 8080\nstreams:\n  scans: {}\n");

    HeraldConfig config =
        Jobs.configLoader(
                Map.of(
                    "HERALD_PORT", "9090", "HERALD_DATA", "/tmp/x", "HERALD_MAX_BODY_SIZE", "2MiB"))
            .load(file);

    assertThat(config.server().port()).isEqualTo(9090);
    assertThat(config.server().data()).isEqualTo(Path.of("/tmp/x"));
    assertThat(config.server().maxBodyBytes()).isEqualTo(2 * 1024 * 1024);
    assertThatThrownBy(() -> Jobs.configLoader(Map.of("HERALD_PORT", "eighty")).load(file))
        .hasMessageContaining("HERALD_PORT")
        .hasMessageContaining("but was eighty");
  }

  @Test
  void shouldSwitchTheStoreByFileOrEnvironment() throws IOException {
    assertThat(load("store: redis://localhost:6379/2\nstreams:\n  scans: {}\n").server().store())
        .isEqualTo("redis://localhost:6379/2");
    HeraldConfig mapped =
        load("store:\n  url: redis://r:6379/0\n  prefix: 'shop-a:'\nstreams:\n  scans: {}\n");
    assertThat(mapped.server().store()).startsWith("redis://");
    assertThat(mapped.server().storePrefix()).isEqualTo("shop-a:");
    assertThat(load("streams:\n  scans: {}\n").server().store()).isEqualTo("sqlite");
    Path file = write("streams:\n  scans: {}\n");
    assertThat(
            Jobs.configLoader(Map.of("HERALD_STORE", "redis://h:1/0")).load(file).server().store())
        .isEqualTo("redis://h:1/0");
    assertThatThrownBy(() -> load("store: mongodb://x\nstreams:\n  scans: {}\n"))
        .hasMessageContaining("line 1")
        .hasMessageContaining("a store is sqlite (the embedded default) or a Redis URL")
        .hasMessageContaining("or a PostgreSQL URL like postgresql://")
        .hasMessageContaining("mongodb://x");
  }

  @Test
  void shouldTakeAPostgresStoreWithItsSchemaAndRefuseASchemaThatNeedsQuoting() throws IOException {
    HeraldConfig plain = load("store: postgresql://h:5432/db\nstreams:\n  scans: {}\n");
    assertThat(plain.server().store()).isEqualTo("postgresql://h:5432/db");
    assertThat(plain.server().storeSchema()).isEqualTo("herald");
    HeraldConfig mapped =
        load("store:\n  url: postgresql://h:5432/db\n  schema: shop_a\nstreams:\n  scans: {}\n");
    assertThat(mapped.server().storeSchema()).isEqualTo("shop_a");
    Path file = write("store: postgresql://h:5432/db\nstreams:\n  scans: {}\n");
    assertThat(
            Jobs.configLoader(Map.of("HERALD_STORE_SCHEMA", "shop_b"))
                .load(file)
                .server()
                .storeSchema())
        .isEqualTo("shop_b");
    assertThatThrownBy(() -> Jobs.configLoader(Map.of("HERALD_STORE_SCHEMA", "1x")).load(file))
        .hasMessageContaining("HERALD_STORE_SCHEMA")
        .hasMessageContaining("'1x'");
    assertThatThrownBy(
            () ->
                load(
                    "store:\n  url: postgresql://h:5432/db\n  schema: Shop-A\nstreams:\n  scans: {}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 3")
        .hasMessageContaining("lower-case letters, digits and _")
        .hasMessageContaining("'Shop-A'");
  }

  @Test
  void shouldRefuseAKeySetTwiceNamingBothLines() throws IOException {
    assertThatThrownBy(
            () ->
                load(
                    """
        server:
          port: 8080
          host: 127.0.0.1
          port: 9090
        streams:
          scans: {}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "line 4 (server.port): 'port' is set twice, first at line 2; keep one of them");
  }

  @Test
  void shouldRefuseAnEmptyConfigurationAndOneThatDeclaresNothing() throws IOException {
    assertThatThrownBy(() -> load(""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is empty: declare at least one stream");
    assertThatThrownBy(() -> load("# only a comment\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is empty");
    assertThatThrownBy(() -> load("server:\n  port: 8080\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("declares no stream and no topic");
  }

  @Test
  void shouldTakeTheLogFromAnotherStoreWhereThePairingWorks() throws IOException {
    HeraldConfig config =
        load(
            "store: redis://localhost:6379/0\nlog: redis://localhost:6379/1\nstreams:\n  scans: {}\n");

    assertThat(config.server().store()).isEqualTo("redis://localhost:6379/0");
    assertThat(config.server().log()).contains("redis://localhost:6379/1");
    assertThat(config.server().logStore()).isEqualTo("redis://localhost:6379/1");
  }

  @Test
  void shouldTakeALogFromRedisForTheEmbeddedState() throws IOException {
    // ids are opaque to state stores: SQLite's keep the events' positions, not its own log's ids
    HeraldConfig config = load("log: redis://localhost:6379/1\nstreams:\n  scans: {}\n");

    assertThat(config.server().store()).isEqualTo("sqlite");
    assertThat(config.server().logStore()).isEqualTo("redis://localhost:6379/1");
  }

  @Test
  void shouldRefuseAPairingOfLogAndStateThatCannotWorkSayingWhy() {
    assertThatThrownBy(
            () -> load("store: redis://localhost:6379/0\nlog: sqlite\nstreams:\n  scans: {}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "the sqlite log belongs to one process, so the other processes sharing the redis state would never see its events");
    assertThatThrownBy(() -> load("log: kafka://localhost:9092\nstreams:\n  scans: {}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "line 1 (log): a store is sqlite (the embedded default) or a Redis URL")
        .hasMessageContaining("but was kafka://localhost:9092");
  }

  @Test
  void shouldRefuseTwoJobsOwningOneSection() {
    assertThatThrownBy(
            () -> new ConfigLoader(Map.of(), List.of(new DigestsJob(), new DigestsJob())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owned twice");
  }

  @Test
  void shouldReadOnlyTheSectionsOfTheJobsItIsGiven() throws IOException {
    Path file = write("streams:\n  scans: {}\ninboxes: {}\n");

    assertThatThrownBy(
            () -> new ConfigLoader(Map.of(), List.of(new DigestsJob(), new LiveJob())).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown setting 'inboxes'");
    assertThat(Jobs.configLoader(Map.of()).load(file).job(ReviewsConfig.class).inboxes()).isEmpty();
  }
}
