package dev.herald.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.Jobs;
import dev.herald.server.digests.DigestsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's configuration reference is a configuration that loads. */
class ReadmeConfigurationTest {

  @TempDir Path dir;

  @Test
  void theConfigurationReferenceLoads() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    int section = readme.indexOf("## Configuration reference");
    int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
    String yaml = readme.substring(start, readme.indexOf("```", start));
    // its directory file is named relative to the configuration, as in the repository
    Files.createDirectories(dir.resolve("examples"));
    Files.copy(Path.of("../examples/brand-users.json"), dir.resolve("examples/brand-users.json"));
    Path file = dir.resolve("herald.yaml");
    Files.writeString(file, yaml);

    HeraldConfig config = Jobs.configLoader(Map.of()).load(file);

    assertThat(config.processing().deadLetterStream("digest:seller-scans", "scans"))
        .isEqualTo("scans.dead");
    assertThat(config.job(DigestsConfig.class).delivery().jitter()).isEqualTo(0.2);
  }
}
