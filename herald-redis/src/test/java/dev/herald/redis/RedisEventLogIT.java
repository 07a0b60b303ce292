package dev.herald.redis;

import dev.herald.log.EventLog;
import dev.herald.log.EventLogContract;
import dev.herald.testing.ClosingEventLog;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

class RedisEventLogIT extends EventLogContract {

  private final String prefix = RedisTestSupport.freshPrefix();

  @Override
  protected EventLog openLog(InstantSource clock) {
    RedisDatabase db = RedisDatabase.connect(RedisTestSupport.URL, prefix);
    return new ClosingEventLog(new RedisEventLog(db, clock, Map.of()), db);
  }

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }
}
