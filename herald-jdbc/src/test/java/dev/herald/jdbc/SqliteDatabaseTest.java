package dev.herald.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.log.StoreUnavailableException;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDatabaseTest {

  @TempDir Path data;

  @Test
  void shouldRefuseASecondOwnerOfTheDataFolder() {
    try (SqliteBackend first = new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThatThrownBy(() -> new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system()))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("is in use by another Herald process");
      assertThat(first.ready()).isTrue();
    }
    try (SqliteBackend again = new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThat(again.ready()).as("the folder is free once the owner closed").isTrue();
    }
  }
}
