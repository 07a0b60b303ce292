package dev.herald.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of a test's own, made with Debian's {@code initdb} and run with {@code
 * pg_ctl} on a spare port, so that a test can stop the database under Herald and start it again.
 * PostgreSQL refuses to run as root: as root the cluster belongs to the {@code postgres} user.
 */
public final class PrivatePostgres implements AutoCloseable {

  private final Path bin;
  private final Path data;
  private final Path root;
  private final int port;

  private PrivatePostgres(Path bin, Path root, int port) {
    this.bin = bin;
    this.root = root;
    this.data = root.resolve("data");
    this.port = port;
  }

  /** The newest installed PostgreSQL's bin folder, if any. */
  public static java.util.Optional<Path> binaries() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(Path::toString));
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  /**
   * Makes a cluster (trust authentication, user {@code postgres}) to be started on {@code port}.
   */
  public static PrivatePostgres create(int port) throws IOException, InterruptedException {
    return create(port, null);
  }

  /**
   * Makes a cluster to be started on {@code port}; with a {@code password}, user {@code postgres}
   * must give it (scram-sha-256), else no password is asked (trust).
   */
  public static PrivatePostgres create(int port, String password)
      throws IOException, InterruptedException {
    Path bin =
        binaries()
            .orElseThrow(() -> new IllegalStateException("no initdb under /usr/lib/postgresql"));
    Path root = Files.createTempDirectory("herald-pg-");
    PrivatePostgres pg = new PrivatePostgres(bin, root, port);
    if (isRoot()) {
      pg.run("chown", "-R", "postgres:postgres", root.toString());
    }
    List<String> initdb =
        new ArrayList<>(
            List.of(
                bin.resolve("initdb").toString(),
                "-D",
                pg.data.toString(),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync"));
    if (password == null) {
      initdb.add("--auth=trust");
    } else {
      Path pwfile = root.resolve("pwfile");
      Files.writeString(pwfile, password + "\n");
      if (isRoot()) {
        pg.run("chown", "postgres:postgres", pwfile.toString());
      }
      initdb.addAll(List.of("--auth=scram-sha-256", "--pwfile=" + pwfile));
    }
    pg.runAsOwner(initdb.toArray(String[]::new));
    return pg;
  }

  /** The URL Herald's {@code store:} takes for this cluster. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  public void start() throws IOException, InterruptedException {
    runAsOwner(
        bin.resolve("pg_ctl").toString(),
        "-D",
        data.toString(),
        "-l",
        root.resolve("postgres.log").toString(),
        "-o",
        "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1 -c fsync=on",
        "-w",
        "start");
  }

  /** Stops the server at once ({@code -m immediate}: no checkpoint, as a crash would). */
  public void stop() throws IOException, InterruptedException {
    runAsOwner(
        bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        stop();
      }
    } finally {
      run("rm", "-rf", root.toString());
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private void runAsOwner(String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (isRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    run(full.toArray(String[]::new));
  }

  private void run(String... command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("commands.log").toFile()))
            .start();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", command)
              + " failed; see "
              + root.resolve("commands.log")
              + ":\n"
              + Files.readString(root.resolve("commands.log")));
    }
  }
}
