package dev.herald.server.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.herald.server.HeadlessChromium;
import dev.herald.server.HeraldServer;
import dev.herald.server.ServerFixture;
import dev.herald.server.TestHttp;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * A page of another origin (another port) tries, in headless Chromium, what a malicious site would:
 * a "simple" text/plain POST into a chat topic, a POST that pulls a user's inbox, and a WebSocket
 * that reads a stream. None of it may work.
 */
class CrossOriginBrowserIT {

  private static final String CONFIG =
      """
      streams:
        reviews: {}
        reviews.by-user: {}
        reviews.invalid: {}
        alerts: {}
      directories:
        brand-users:
          entries: {"Brand1": [1, 2]}
      routes:
        review-recipients:
          stream: reviews
          by: brand
          directory: brand-users
          to: reviews.by-user
          invalid: reviews.invalid
      inboxes:
        reviews:
          stream: reviews.by-user
          itemKey: review_id
      topics: [chat.general]
      """;

  private static final String EVIL_PAGE =
      """
      <!doctype html><html><body><pre id="log"></pre><script>
      const herald = 'http://127.0.0.1:%1$d';
      const log = m => { document.getElementById('log').textContent += m + '\\n'; };
      async function main() {
        try {
          await fetch(herald + '/api/streams/chat.general/events', {method: 'POST', mode: 'no-cors',
            headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({user: 'mallory', text: 'forged'})});
          log('post-sent');
        } catch (e) { log('post-failed'); }
        try {
          await fetch(herald + '/api/inboxes/reviews/1/pull', {method: 'POST', mode: 'no-cors'});
          log('pull-sent');
        } catch (e) { log('pull-failed'); }
        await new Promise(resolve => {
          let messages = 0;
          const ws = new WebSocket('ws://127.0.0.1:%1$d/ws/streams/chat.general?after=earliest');
          ws.onopen = () => log('ws-open');
          ws.onmessage = () => { messages++; };
          ws.onerror = () => log('ws-error');
          ws.onclose = () => { log('ws-closed ' + messages); resolve(); };
          setTimeout(() => { log('ws-still-open ' + messages); resolve(); }, 3000);
        });
        log('done');
      }
      main();
      </script></body></html>
      """;

  @TempDir Path dir;
  private HeadlessChromium chromium;
  private HeraldServer server;
  private HttpServer evil;

  @BeforeEach
  void start() throws Exception {
    chromium = new HeadlessChromium();
    server = ServerFixture.start(dir, CONFIG, InstantSource.system());
    evil = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] page = EVIL_PAGE.formatted(server.port()).getBytes(StandardCharsets.UTF_8);
    evil.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, page.length);
          exchange.getResponseBody().write(page);
          exchange.close();
        });
    evil.start();
  }

  @AfterEach
  void stop() {
    if (chromium != null) {
      chromium.close();
    }
    if (evil != null) {
      evil.stop(0);
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void shouldNotLetAPageOfAnotherOriginPostPullOrReadAStream() throws Exception {
    TestHttp http = new TestHttp(server.port());
    assertThat(
            http.post("/api/streams/chat.general/events", "{\"user\":\"ann\",\"text\":\"hello\"}")
                .status())
        .isEqualTo(201);
    assertThat(
            http.post("/api/streams/reviews/events", "{\"brand\":\"Brand1\",\"review_id\":\"r1\"}")
                .status())
        .isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/api/inboxes/reviews/1").json().path("items").size() == 1);

    WebDriver browser = chromium.browser();
    browser.get("http://127.0.0.1:" + evil.getAddress().getPort() + "/");
    HeadlessChromium.waiting(browser)
        .until(d -> d.findElement(By.id("log")).getText().contains("done"));
    String log = browser.findElement(By.id("log")).getText();
    HeadlessChromium.screenshot(browser, "cross-origin-page");
    Files.writeString(dir.resolve("page.log"), log);

    assertThat(log)
        .contains("post-sent")
        .contains("pull-sent")
        .doesNotContain("ws-open")
        .contains("ws-closed 0");
    assertThat(http.get("/api/streams/chat.general/events").json().path("events"))
        .as("no forged chat message")
        .hasSize(1);
    assertThat(http.get("/api/inboxes/reviews/1").json().path("items"))
        .as("user 1's inbox untouched")
        .hasSize(1);
  }
}
