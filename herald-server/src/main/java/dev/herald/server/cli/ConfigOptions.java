package dev.herald.server.cli;

import dev.herald.server.Jobs;
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

  @Option(
      names = "--log",
      description =
          "The store the event log comes from, when not the store's own, e.g. redis://localhost:6379/1 (default: log, $HERALD_LOG).")
  String log;

  /** The configuration file with environment overrides, then these options, applied. */
  HeraldConfig load() {
    Path file =
        config != null
            ? config
            : Path.of(System.getenv().getOrDefault("HERALD_CONFIG", "herald.yaml"));
    HeraldConfig loaded = Jobs.configLoader(System.getenv()).load(file);
    if (store != null) {
      loaded = loaded.withServer(loaded.server().withStore(store, loaded.server().storePrefix()));
    }
    if (log != null) {
      loaded = loaded.withServer(loaded.server().withLog(java.util.Optional.of(log)));
    }
    return loaded;
  }
}
