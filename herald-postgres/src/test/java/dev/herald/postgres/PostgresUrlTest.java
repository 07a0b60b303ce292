package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresUrlTest {

  @Test
  void readsUserPasswordHostPortDatabaseAndParameters() {
    PostgresUrl url =
        PostgresUrl.parse(
            "postgresql://ann:s%40cret%3A1@db.example:6432/shop?sslmode=require",
            "herald", Map.of());

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6432/shop?sslmode=require");
    assertThat(url.user()).contains("ann");
    assertThat(url.password()).contains("s@cret:1");
    assertThat(url.schema()).isEqualTo("herald");
  }

  @Test
  void takesThePasswordFromTheEnvironmentWhenTheUrlHasNone() {
    PostgresUrl url =
        PostgresUrl.parse(
            "postgres://ann@db/shop", "herald", Map.of("HERALD_STORE_PASSWORD", "from-env"));

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db/shop");
    assertThat(url.password()).contains("from-env");
    // neither: pgjdbc reads PGPASSFILE or ~/.pgpass itself
    assertThat(PostgresUrl.parse("postgres://ann@db/shop", "herald", Map.of()).password())
        .isEmpty();
  }

  @Test
  void neverShowsThePassword() {
    PostgresUrl url =
        PostgresUrl.parse(
            "postgresql://ann:hunter2@db:5432/shop?password=hunter2", "tenant_a", Map.of());

    assertThat(url.describe()).isEqualTo("postgresql://ann@db:5432/shop schema tenant_a");
    assertThat(url.toString()).doesNotContain("hunter2");
  }

  @Test
  void explainsWhatIsWrongWithAUrl() {
    assertThatThrownBy(() -> PostgresUrl.parse("postgresql:///shop", "herald", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names no host");
    assertThatThrownBy(() -> PostgresUrl.parse("postgresql://db:5432", "herald", Map.of()))
        .hasMessageContaining("must name one database");
    assertThatThrownBy(() -> PostgresUrl.parse("postgresql://a:b c@db/x", "herald", Map.of()))
        .hasMessageContaining("not a valid URL")
        .hasMessageNotContaining("b c");
    assertThatThrownBy(() -> PostgresUrl.parse("postgresql://db/x", "Herald", Map.of()))
        .hasMessageContaining("lower-case letters");
  }
}
