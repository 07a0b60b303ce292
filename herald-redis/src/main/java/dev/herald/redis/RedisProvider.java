package dev.herald.redis;

import dev.herald.store.Backend;
import dev.herald.store.BackendProvider;
import dev.herald.store.StoreSettings;
import java.util.List;

/** {@code redis://} and {@code rediss://}: one Redis shared by every process of a deployment. */
public final class RedisProvider implements BackendProvider {

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public List<String> forms() {
    return List.of("a Redis URL like redis://localhost:6379/0 (rediss:// for TLS)");
  }

  @Override
  public boolean accepts(String url) {
    return url.startsWith("redis://") || url.startsWith("rediss://");
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public Backend open(StoreSettings settings) {
    return new RedisBackend(
        settings.url(),
        settings.keyPrefix(),
        settings.clock(),
        settings.digestRules(),
        settings.maxLengths());
  }
}
