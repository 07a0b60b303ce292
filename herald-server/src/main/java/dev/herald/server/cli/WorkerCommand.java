package dev.herald.server.cli;

import dev.herald.server.HeraldEngines;
import dev.herald.server.config.ConfigLoader;
import dev.herald.server.config.ConfigException;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald worker}: the engines and deliveries without the HTTP API, to scale background work
 * apart from request handling. It shares the store with the servers, so the store must be Redis.
 */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Run the digest engine and deliveries without the HTTP API, on a shared store (Redis).")
public final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Configuration file (default: $HERALD_CONFIG, else ./herald.yaml).")
  Path config;

  @Option(names = "--store", description = "A Redis URL such as redis://localhost:6379/0 (default: store, $HERALD_STORE).")
  String store;

  @Override
  public Integer call() throws InterruptedException {
    Path file = config != null ? config : Path.of(System.getenv().getOrDefault("HERALD_CONFIG", "herald.yaml"));
    HeraldConfig loaded = new ConfigLoader(System.getenv()).load(file);
    if (store != null) {
      loaded = loaded.withServer(loaded.server().withStore(store, loaded.server().storePrefix()));
    }
    if (!loaded.server().redis()) {
      throw new ConfigException("herald worker shares the store with the servers, so it needs a Redis store"
          + " (store: redis://host:port/db, HERALD_STORE or --store); the embedded SQLite store belongs to one process");
    }
    HeraldEngines engines = new HeraldEngines(loaded, InstantSource.system());
    LoggerFactory.getLogger(WorkerCommand.class).info("Herald worker running on {} ({} digest rules)",
        engines.backend().describe(), loaded.digests().size());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      engines.close();
      stopped.countDown();
    }, "herald-shutdown"));
    stopped.await();
    return 0;
  }
}
