package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.store.Backend;
import dev.herald.topic.Subscription;
import dev.herald.topic.Topics;
import dev.herald.topic.TopicsContract;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteTopicsTest extends TopicsContract {

  @TempDir Path data;
  @TempDir Path own;

  @Override
  public Backend openBackend(InstantSource clock) {
    return new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock);
  }

  /**
   * {@code Last-Event-ID: 0}, a browser's "before everything": nothing was trimmed, so no reset.
   */
  @Test
  void aCursorOfZeroOnAStreamNeverTrimmedIsNoReset() {
    try (SqliteBackend backend =
        new SqliteBackend(own, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      backend.log().append("chat", NewEvent.of(Json.object().put("text", "first")));
      Topics topics = new Topics(backend.log(), Topics.Options.DEFAULT);
      try (Subscription subscription = topics.subscribe("chat", "0")) {
        assertThat(subscription.reset()).isEmpty();
      }
      backend.log().append("chat", NewEvent.of(Json.object().put("text", "second")));
      backend.log().trimToLength("chat", 1);
      try (Subscription subscription = topics.subscribe("chat", "0")) {
        assertThat(subscription.reset()).as("event 1 was trimmed").contains("2");
      }
    }
  }
}
