package dev.herald.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its chromium-driver, which {@code .ci/run} installs: with
 * {@code CI=true} a missing one fails the test, elsewhere it skips it. Screenshots go to {@code
 * target/screenshots}.
 */
public final class HeadlessChromium implements AutoCloseable {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target/screenshots");

  private final List<WebDriver> browsers = new ArrayList<>();

  /** Checks Chromium is installed (skipping the test, or failing it on CI, when not). */
  public HeadlessChromium() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "CI=true but "
              + CHROMIUM
              + " or "
              + DRIVER
              + " is missing; .ci/run installs chromium and chromium-driver");
    }
    assumeTrue(
        present,
        "chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)");
    Files.createDirectories(SCREENSHOTS);
  }

  /** A new browser window, closed with this. */
  public WebDriver browser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1280,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(DRIVER.toString()))
            .build();
    WebDriver driver = new ChromeDriver(service, options);
    browsers.add(driver);
    return driver;
  }

  public static void screenshot(WebDriver driver, String name) throws Exception {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  public static WebDriverWait waiting(WebDriver driver) {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(15));
    wait.pollingEvery(Duration.ofMillis(50));
    return wait;
  }

  @Override
  public void close() {
    browsers.forEach(WebDriver::quit);
  }
}
