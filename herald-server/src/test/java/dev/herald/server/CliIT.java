package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user runs it: a separate JVM per command. */
class CliIT {

  @TempDir Path dir;

  private static String run(Path log, String... args) throws Exception {
    Process process = ServerProcess.herald(log, Map.of(), args);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(log);
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  @Test
  void shouldRefuseToStartWithABadConfigNamingFileLineAndProblem() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(
        config,
        "streams:\n  scans: {}\ndigests:\n  d:\n    stream: scans\n    groupBy: seller_id\n    quietPeriod: soon\n");
    Path log = dir.resolve("server.log");

    Process process =
        ServerProcess.herald(
            log,
            Map.of(),
            "server",
            "--config",
            config.toString(),
            "--port",
            "0",
            "--data",
            dir.resolve("data").toString());

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(Files.readString(log))
        .contains("bad.yaml line 7")
        .contains("quietPeriod must be an ISO-8601 duration")
        .contains("but was soon");
  }

  @Test
  void shouldPublishWithFieldsAndFollowNotifications() throws Exception {
    try (HeraldServer server =
        ServerFixture.start(
            dir.resolve("s"),
            ServerFixture.SELLER_SCANS.formatted("PT3S"),
            InstantSource.system())) {
      String url = "http://127.0.0.1:" + server.port();
      Process follower = new ProcessBuilder(followCommand(url)).redirectErrorStream(true).start();
      List<String> lines = new ArrayList<>();
      Thread reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(
                                follower.getInputStream(), StandardCharsets.UTF_8))) {
                      String line;
                      while ((line = in.readLine()) != null) {
                        synchronized (lines) {
                          lines.add(line);
                        }
                      }
                    } catch (java.io.IOException ignored) {
                      // the follower was stopped
                    }
                  });
      try {
        // the follower says when it reached the end of the (empty) list and prints new ones only
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  synchronized (lines) {
                    return lines.stream()
                        .anyMatch(l -> l.startsWith("herald: following new notifications"));
                  }
                });

        String id =
            run(
                    dir.resolve("p1.log"),
                    "publish",
                    "scans",
                    "seller_id:=10",
                    "package_id=AAAAAA",
                    "--server",
                    url)
                .strip();
        run(
            dir.resolve("p2.log"),
            "publish",
            "scans",
            "seller_id=10",
            "package_id=BBBBBB",
            "--server",
            url);

        assertThat(id).matches("\\d+");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  synchronized (lines) {
                    return lines.stream().anyMatch(l -> l.contains("\"recipient\":\"10\""));
                  }
                });
        synchronized (lines) {
          assertThat(lines)
              .filteredOn(l -> l.startsWith("{"))
              .singleElement()
              .satisfies(l -> assertThat(l).contains("\"items\":[\"AAAAAA\",\"BBBBBB\"]"));
        }
        String listed = run(dir.resolve("list.log"), "notifications", "--server", url);
        assertThat(listed).contains("seller-scans -> 10").contains("AAAAAA, BBBBBB");
      } finally {
        follower.destroy();
        reader.join(5_000);
      }
    }
  }

  @Test
  void shouldPushReviewsPullInboxesCleanAndListAlerts() throws Exception {
    Path s = dir.resolve("reviews");
    Files.createDirectories(s);
    Files.writeString(s.resolve("brand-users.json"), "{\"Brand1\": [1, 2], \"Brand2\": [4]}");
    try (HeraldServer server =
        ServerFixture.start(s, ReviewsApiTest.REVIEWS, InstantSource.system())) {
      String url = "http://127.0.0.1:" + server.port();
      TestHttp http = new TestHttp(server.port());

      assertThat(
              run(
                  dir.resolve("push.log"),
                  "reviews",
                  "push",
                  "--valid",
                  "30",
                  "--invalid",
                  "3",
                  "--seed",
                  "7",
                  "--server",
                  url))
          .contains("pushed 30 valid and 3 invalid reviews to stream 'reviews'");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  http.get("/api/alerts").json().path("alerts").size() == 3
                      && http.get("/api/streams/reviews.by-user/events?limit=1000")
                              .json()
                              .path("events")
                              .size()
                          == 30);

      String alerts = run(dir.resolve("alerts.log"), "alerts", "--server", url);
      assertThat(alerts.lines().filter(l -> l.contains("RAISED   invalid-event  reviews.invalid/")))
          .hasSize(3);
      assertThat(alerts).contains("is not responsible for brand");

      String list = run(dir.resolve("list.log"), "inbox", "list", "--server", url);
      assertThat(list).contains("pending");
      String pulled = run(dir.resolve("pull.log"), "inbox", "pull", "--all", "--server", url);
      assertThat(pulled)
          .containsPattern("pulled [1-3] inbox\\(es\\), \\d+ item\\(s\\)")
          .contains("change(s)");
      for (String user : List.of("1", "2", "4")) {
        assertThat(http.get("/api/inboxes/reviews/" + user).json().path("items")).isEmpty();
      }
      assertThat(run(dir.resolve("pull1.log"), "inbox", "pull", "1", "--server", url))
          .contains("user 1: 0 item(s)");

      String anyUser =
          http.get("/api/inboxes/reviews")
              .json()
              .path("inboxes")
              .path(0)
              .path("recipient")
              .asText();
      assertThat(run(dir.resolve("clean.log"), "inbox", "clean", anyUser, "--server", url))
          .contains("cleaned inbox reviews/" + anyUser);
      Process again =
          ServerProcess.herald(
              dir.resolve("clean2.log"), Map.of(), "inbox", "clean", anyUser, "--server", url);
      assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(again.exitValue()).isEqualTo(2);
      assertThat(Files.readString(dir.resolve("clean2.log")))
          .contains("server answered 404")
          .contains("recipient '" + anyUser + "'");
    }
  }

  /** Starts {@code herald subscribe} in its own JVM; its output lines are collected. */
  private static Process subscriber(String url, Path cursor, List<String> lines) throws Exception {
    Process process =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "subscribe",
                "chat.general",
                "--after",
                "earliest",
                "--json",
                "--cursor-file",
                cursor.toString(),
                "--server",
                url)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  synchronized (lines) {
                    lines.add(line);
                  }
                }
              } catch (java.io.IOException ignored) {
                // stopped
              }
            });
    return process;
  }

  @Test
  void shouldSubscribeAndResumeAfterARestartFromTheCursorFile() throws Exception {
    try (HeraldServer server =
        ServerFixture.start(dir.resolve("live"), LiveApiTest.TOPICS, InstantSource.system())) {
      String url = "http://127.0.0.1:" + server.port();
      TestHttp http = new TestHttp(server.port());
      Path cursor = dir.resolve("chat.cursor");
      for (int i = 0; i < 3; i++) {
        http.post("/api/streams/chat.general/events", "{\"n\":" + i + "}");
      }
      List<String> first = new ArrayList<>();
      Process one = subscriber(url, cursor, first);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  synchronized (first) {
                    return first.size() == 3;
                  }
                });
        String lastId =
            http.get("/api/streams/chat.general/events")
                .json()
                .path("events")
                .path(2)
                .path("id")
                .asText();
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> Files.exists(cursor) && Files.readString(cursor).strip().equals(lastId));
      } finally {
        one.destroyForcibly().waitFor();
      }
      for (int i = 3; i < 5; i++) {
        http.post("/api/streams/chat.general/events", "{\"n\":" + i + "}");
      }
      List<String> second = new ArrayList<>();
      Process two = subscriber(url, cursor, second);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  synchronized (second) {
                    return second.size() >= 2;
                  }
                });
        // and nothing more comes: the resumed subscriber saw only what came after its cursor
        await()
            .during(Duration.ofMillis(500))
            .atMost(Duration.ofSeconds(2))
            .until(
                () -> {
                  synchronized (second) {
                    return second.size() == 2;
                  }
                });
        synchronized (second) {
          assertThat(second)
              .extracting(l -> dev.herald.json.Json.parseTrusted(l).path("data").path("n").asInt())
              .containsExactly(3, 4);
        }
        synchronized (first) {
          assertThat(first)
              .extracting(l -> dev.herald.json.Json.parseTrusted(l).path("data").path("n").asInt())
              .containsExactly(0, 1, 2);
        }
      } finally {
        two.destroyForcibly().waitFor();
      }
    }
  }

  private static List<String> followCommand(String url) {
    return List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED",
        "-cp",
        System.getProperty("java.class.path"),
        Main.class.getName(),
        "notifications",
        "--follow",
        "--json",
        "--server",
        url);
  }

  @Test
  void shouldExplainWhenTheServerCannotBeReached() throws Exception {
    Path log = dir.resolve("unreachable.log");
    Process process =
        ServerProcess.herald(
            log,
            Map.of(),
            "publish",
            "scans",
            "a=b",
            "--server",
            "http://127.0.0.1:" + ServerProcess.freePort());

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(Files.readString(log)).contains("cannot reach the Herald server");
  }
}
