package dev.herald.server.cli;

import dev.herald.server.HeraldEngines;
import dev.herald.server.config.ConfigException;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.digests.DigestsConfig;
import dev.herald.server.store.Backends;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code herald worker}: the engines and deliveries without the HTTP API, to scale background work
 * apart from request handling. It shares the store with the servers, so the store must be Redis.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description =
        "Run the digest engine and deliveries without the HTTP API, on a shared store (Redis or PostgreSQL).")
public final class WorkerCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Override
  public Integer call() throws InterruptedException {
    HeraldConfig loaded = options.load();
    if (!Backends.shared(loaded.server().store()) || !Backends.shared(loaded.server().logStore())) {
      throw new ConfigException(
          "herald worker shares the store with the servers, so it needs a shared store, such as Redis or PostgreSQL"
              + " (store: redis://host:port/db, HERALD_STORE or --store); the embedded SQLite store belongs to one process");
    }
    HeraldEngines engines = new HeraldEngines(loaded, InstantSource.system(), "worker");
    LoggerFactory.getLogger(WorkerCommand.class)
        .info(
            "Herald worker running on {} ({} digest rules)",
            engines.backend().describe(),
            loaded.job(DigestsConfig.class).rules().size());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  engines.close();
                  stopped.countDown();
                },
                "herald-shutdown"));
    stopped.await();
    return 0;
  }
}
