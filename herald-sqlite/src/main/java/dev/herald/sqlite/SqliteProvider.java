package dev.herald.sqlite;

import dev.herald.store.Backend;
import dev.herald.store.BackendProvider;
import dev.herald.store.Durability;
import dev.herald.store.StoreSettings;
import java.util.List;

/** The embedded default: {@code sqlite}, one file in the data folder, for one process. */
public final class SqliteProvider implements BackendProvider {

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public List<String> forms() {
    return List.of("sqlite (the embedded default)");
  }

  @Override
  public boolean accepts(String url) {
    return url.equals("sqlite");
  }

  @Override
  public boolean shared() {
    return false;
  }

  @Override
  public Backend open(StoreSettings settings) {
    SqliteDatabase.Sync sync =
        settings.durability() == Durability.POWER_LOSS
            ? SqliteDatabase.Sync.FULL
            : SqliteDatabase.Sync.NORMAL;
    return new SqliteBackend(settings.dataDir(), sync, settings.clock());
  }
}
