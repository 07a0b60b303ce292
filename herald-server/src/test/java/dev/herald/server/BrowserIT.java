package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page and the dashboard in headless Chromium (Debian's chromium and chromium-driver,
 * which {@code .ci/run} installs). Screenshots go to {@code target/screenshots}.
 */
class BrowserIT {

  static final String CONFIG =
      """
      streams:
        scans: {}
        notifications: {}
      digests:
        seller-scans:
          stream: scans
          groupBy: seller_id
          collect: package_id
          quietPeriod: PT1S
          deliver:
            - stream: notifications
      topics: [chat.general, chat.random, chat.help, chat.ops]
      """;

  @TempDir Path dir;
  private HeadlessChromium chromium;
  private HeraldServer server;
  private String base;

  @BeforeEach
  void start() throws Exception {
    chromium = new HeadlessChromium();
    server = ServerFixture.start(dir, CONFIG, InstantSource.system());
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterEach
  void stop() {
    if (chromium != null) {
      chromium.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private WebDriver browser() {
    return chromium.browser();
  }

  private static void screenshot(WebDriver driver, String name) throws Exception {
    HeadlessChromium.screenshot(driver, name);
  }

  private static WebDriverWait waiting(WebDriver driver) {
    return HeadlessChromium.waiting(driver);
  }

  private static List<String> messages(WebDriver driver) {
    return driver.findElements(By.cssSelector("#messages li[data-id]")).stream()
        .map(
            li ->
                li.findElement(By.className("who")).getText()
                    + ": "
                    + li.findElement(By.className("text")).getText())
        .toList();
  }

  private static void say(WebDriver driver, String text) {
    WebElement input = driver.findElement(By.id("text"));
    input.sendKeys(text);
    driver.findElement(By.cssSelector("#send button")).click();
  }

  @Test
  void twoBrowsersChatInOneTopicAndAReloadShowsTheHistoryOnce() throws Exception {
    WebDriver ann = browser();
    WebDriver bob = browser();
    ann.get(base + "/chat?topic=chat.random&name=ann");
    bob.get(base + "/chat?topic=chat.random&name=bob");
    for (WebDriver b : List.of(ann, bob)) {
      waiting(b).until(d -> d.findElement(By.id("status")).getText().equals("live"));
    }

    say(ann, "hello bob");
    waiting(bob).until(d -> messages(d).contains("ann: hello bob"));
    say(bob, "hi ann");
    waiting(ann).until(d -> messages(d).contains("bob: hi ann"));
    say(ann, "how are you?");
    List<String> expected = List.of("ann: hello bob", "bob: hi ann", "ann: how are you?");
    for (WebDriver b : List.of(ann, bob)) {
      waiting(b).until(d -> messages(d).equals(expected));
    }
    screenshot(ann, "chat-ann");
    screenshot(bob, "chat-bob");

    bob.navigate().refresh();
    waiting(bob).until(d -> messages(d).size() >= 3);
    say(ann, "after your reload");
    waiting(bob).until(d -> messages(d).size() == 4);
    assertThat(messages(bob))
        .containsExactly(
            "ann: hello bob", "bob: hi ann", "ann: how are you?", "ann: after your reload");
    screenshot(bob, "chat-bob-reloaded");
    assertThat(server.backend().log().read("chat.random", "", 100)).hasSize(4);
  }

  @Test
  void theDashboardShowsANotificationWithinASecondOfItsEmission() throws Exception {
    WebDriver operator = browser();
    operator.get(base + "/");
    waiting(operator).until(d -> !d.findElement(By.id("store")).getText().equals("…"));
    TestHttp http = new TestHttp(server.port());
    http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"AAAAAA\"}");

    WebElement shown =
        waiting(operator)
            .until(
                d ->
                    d.findElements(By.cssSelector("#notifications li")).stream()
                        .findFirst()
                        .orElse(null));
    Instant seen = Instant.now();
    JsonNode notification = http.get("/api/notifications").json().path("notifications").path(0);
    Instant emitted = Instant.parse(notification.path("createdAt").asText());
    assertThat(shown.getAttribute("data-id")).isEqualTo(notification.path("id").asText());
    assertThat(shown.getText()).contains("seller-scans").contains("10").contains("AAAAAA");
    assertThat(Duration.between(emitted, seen))
        .as("from emission to the dashboard")
        .isLessThanOrEqualTo(Duration.ofSeconds(1));
    waiting(operator).until(d -> d.findElements(By.cssSelector("#streams tr")).size() >= 3);
    assertThat(operator.findElement(By.id("streams")).getText())
        .contains("scans")
        .contains("notifications");
    screenshot(operator, "dashboard");
  }
}
