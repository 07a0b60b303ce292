package dev.herald.postgres;

import dev.herald.store.Backend;
import dev.herald.store.BackendProvider;
import dev.herald.store.StoreSettings;
import java.util.List;

/**
 * {@code postgresql://}: one PostgreSQL database shared by every process of a deployment, Herald's
 * tables in the schema the settings name.
 */
public final class PostgresProvider implements BackendProvider {

  @Override
  public String name() {
    return "postgresql";
  }

  @Override
  public List<String> forms() {
    return List.of("a PostgreSQL URL like postgresql://user:password@localhost:5432/herald");
  }

  @Override
  public boolean accepts(String url) {
    return PostgresUrl.accepts(url);
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public Backend open(StoreSettings settings) {
    PostgresUrl url = PostgresUrl.parse(settings.url(), settings.schema(), System.getenv());
    return new PostgresBackend(url, settings.clock());
  }
}
