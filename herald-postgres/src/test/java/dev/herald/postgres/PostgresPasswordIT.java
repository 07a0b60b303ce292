package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.log.StoreUnavailableException;
import dev.herald.store.Backend;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of the test's own that asks for a password: given in the URL, by {@code
 * HERALD_STORE_PASSWORD}, or by a pgpass file; a wrong one is refused with a clear message that
 * does not show it.
 */
class PostgresPasswordIT {

  private static final String PASSWORD = "s3cret-pw";
  private static PrivatePostgres pg;
  private static int port;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(PrivatePostgres.binaries().isPresent(), "no initdb under /usr/lib/postgresql");
    }
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    pg = PrivatePostgres.create(port, PASSWORD);
    pg.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  private static Backend open(String url, Map<String, String> env) {
    return new PostgresBackend(PostgresUrl.parse(url, "herald", env), InstantSource.system());
  }

  @Test
  void takesThePasswordFromTheUrl() {
    try (Backend backend =
        open("postgresql://postgres:" + PASSWORD + "@127.0.0.1:" + port + "/postgres", Map.of())) {
      assertThat(backend.ready()).isTrue();
      assertThat(backend.describe()).doesNotContain(PASSWORD);
    }
  }

  @Test
  void takesThePasswordFromTheEnvironment() {
    try (Backend backend =
        open(
            "postgresql://postgres@127.0.0.1:" + port + "/postgres",
            Map.of("HERALD_STORE_PASSWORD", PASSWORD))) {
      assertThat(backend.ready()).isTrue();
    }
  }

  @Test
  void takesThePasswordFromAPgpassFile() throws Exception {
    Path pgpass = dir.resolve("pgpass");
    Files.writeString(pgpass, "127.0.0.1:" + port + ":postgres:postgres:" + PASSWORD + "\n");
    // pgjdbc reads PGPASSFILE, or this property, when no password is given
    System.setProperty("org.postgresql.pgpassfile", pgpass.toString());
    try (Backend backend =
        open("postgresql://postgres@127.0.0.1:" + port + "/postgres", Map.of())) {
      assertThat(backend.ready()).isTrue();
    } finally {
      System.clearProperty("org.postgresql.pgpassfile");
    }
  }

  @Test
  void refusesAWrongPasswordWithoutShowingIt() {
    assertThatThrownBy(
            () ->
                open("postgresql://postgres:not-it@127.0.0.1:" + port + "/postgres", Map.of())
                    .close())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:")
        .hasMessageContaining("password authentication failed")
        .hasMessageNotContaining("not-it");
  }
}
