package dev.herald.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A Herald server in a child JVM, so that a test can kill it for real. */
public final class ServerProcess implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path log;

  private ServerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs {@code herald ARGS...} in a new JVM with the test class path; output goes to {@code log}.
   */
  public static Process herald(Path log, Map<String, String> env, String... args) {
    return herald(List.of(), "512m", log, env, args);
  }

  /**
   * As {@link #herald(Path, Map, String...)}, in a process that may open at most {@code files}
   * files.
   */
  public static Process heraldWithFileLimit(int files, Path log, String... args) {
    return herald(
        List.of("bash", "-c", "ulimit -n " + files + " && exec \"$0\" \"$@\""),
        "512m",
        log,
        Map.of(),
        args);
  }

  /**
   * Starts {@code herald server} with a heap of at most {@code heap} (e.g. {@code 96m}) and waits
   * until it is ready.
   */
  public static ServerProcess startWithHeap(
      String heap, Path config, Path data, int port, Path log) {
    Process process =
        herald(
            List.of(),
            heap,
            log,
            Map.of(),
            "server",
            "--config",
            config.toString(),
            "--data",
            data.toString(),
            "--port",
            Integer.toString(port));
    return awaitReady(process, port, log);
  }

  private static Process herald(
      List<String> prefix, String heap, Path log, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx" + heap);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts {@code herald server} and waits until it answers {@code /health/ready}. */
  public static ServerProcess start(Path config, Path data, int port, Path log) {
    Process process =
        herald(
            log,
            Map.of(),
            "server",
            "--config",
            config.toString(),
            "--data",
            data.toString(),
            "--port",
            Integer.toString(port));
    return awaitReady(process, port, log);
  }

  /** Waits until {@code process}, a server on {@code port}, answers {@code /health/ready}. */
  public static ServerProcess awaitReady(Process process, int port, Path log) {
    ServerProcess server = new ServerProcess(process, port, log);
    server.awaitReady(Duration.ofSeconds(30));
    return server;
  }

  private void awaitReady(Duration timeout) {
    TestHttp http = new TestHttp(port);
    org.awaitility.Awaitility.await("server on port " + port + " ready (log: " + log + ")")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(UncheckedIOException.class)
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "the server exited with " + process.exitValue() + "; see " + log);
              }
              return http.get("/health/ready").status() == 200;
            });
  }

  public int port() {
    return port;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** {@code kill -9}: no shutdown hook runs, nothing is flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
  }
}
