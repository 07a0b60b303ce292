package dev.herald.server;

import dev.herald.server.config.HeraldConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;

/** Starts an in-process server on a free port from a YAML text, with its data in {@code dir}. */
public final class ServerFixture {

  private ServerFixture() {}

  public static final String SELLER_SCANS =
      """
      streams:
        scans: {}
        notifications: {}
      digests:
        seller-scans:
          stream: scans
          groupBy: seller_id
          collect: package_id
          quietPeriod: %s
          deliver:
            - stream: notifications
      """;

  public static HeraldConfig config(Path dir, String yaml) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve("herald.yaml");
      Files.writeString(file, yaml);
      HeraldConfig config = Jobs.configLoader(Map.of()).load(file);
      return config.withServer(config.server().withPort(0).withData(dir.resolve("data")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static HeraldServer start(Path dir, String yaml, InstantSource clock) {
    return HeraldServer.start(config(dir, yaml), clock);
  }
}
