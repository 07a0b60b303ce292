package dev.herald.server;

import dev.herald.redis.RedisTestSupport;

class RedisMultiInstanceIT extends MultiInstanceScenario {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  protected String storeSection() {
    return "store:\n  url: %s\n  prefix: '%s'\n".formatted(RedisTestSupport.URL, prefix);
  }

  @Override
  protected void cleanStore() {
    RedisTestSupport.clean(prefix);
  }
}
