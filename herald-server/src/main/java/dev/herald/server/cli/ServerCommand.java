package dev.herald.server.cli;

import dev.herald.server.HeraldServer;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code herald server}: runs the HTTP API and every engine until stopped. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Run the HTTP API and the engines.")
public final class ServerCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(
      names = "--port",
      description =
          "HTTP port (default: server.port, $HERALD_PORT, else 8080; 0 picks a free one).")
  Integer port;

  @Option(
      names = "--data",
      description =
          "Data folder of the embedded store (default: server.data, $HERALD_DATA, else ./data).")
  Path data;

  @Override
  public Integer call() throws InterruptedException {
    HeraldConfig loaded = options.load();
    if (port != null) {
      loaded = loaded.withServer(loaded.server().withPort(port));
    }
    if (data != null) {
      loaded = loaded.withServer(loaded.server().withData(data));
    }
    HeraldServer server = HeraldServer.start(loaded, InstantSource.system());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "herald-shutdown"));
    stopped.await();
    return 0;
  }
}
