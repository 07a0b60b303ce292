package dev.herald.server.cli;

import dev.herald.server.config.ConfigLoader;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options that choose the configuration and the store, shared by {@code server} and {@code
 * worker}.
 */
public final class ConfigOptions {

  @Option(
      names = "--config",
      description = "Configuration file (default: $HERALD_CONFIG, else ./herald.yaml).")
  Path config;

  @Option(
      names = "--store",
      description =
          "sqlite (embedded, the default) or a Redis URL such as redis://localhost:6379/0 (default: store, $HERALD_STORE).")
  String store;

  /** The configuration file with environment overrides, then these options, applied. */
  HeraldConfig load() {
    Path file =
        config != null
            ? config
            : Path.of(System.getenv().getOrDefault("HERALD_CONFIG", "herald.yaml"));
    HeraldConfig loaded = new ConfigLoader(System.getenv()).load(file);
    if (store != null) {
      loaded = loaded.withServer(loaded.server().withStore(store, loaded.server().storePrefix()));
    }
    return loaded;
  }
}
