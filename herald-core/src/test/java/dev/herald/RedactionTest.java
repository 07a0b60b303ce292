package dev.herald;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void shouldHideThePasswordOfAUrl() {
    assertThat(Redaction.redact("redis://:s3cret@cache:6379/0"))
        .isEqualTo("redis://:***@cache:6379/0");
    assertThat(Redaction.redact("rediss://herald:s3cret@cache:6380/2"))
        .isEqualTo("rediss://herald:***@cache:6380/2");
    assertThat(Redaction.redact("redis://s3cret@cache:6379")).isEqualTo("redis://***@cache:6379");
    assertThat(Redaction.redact("postgresql://app:p%40ss@db:5432/herald?sslmode=require"))
        .isEqualTo("postgresql://app:***@db:5432/herald?***");
  }

  @Test
  void shouldHideThePathAndQueryOfAWebhookUrl() {
    assertThat(Redaction.redact("https://hooks.slack.com/services/T000/B000/XXXXXXXX"))
        .isEqualTo("https://hooks.slack.com/***");
    assertThat(Redaction.redact("http://localhost:9000/hook?token=abc"))
        .isEqualTo("http://localhost:9000/***");
    assertThat(Redaction.redact("http://localhost:8080/")).isEqualTo("http://localhost:8080/");
    assertThat(Redaction.redact("http://0.0.0.0:8080")).isEqualTo("http://0.0.0.0:8080");
  }

  @Test
  void shouldRedactEveryUrlInATextAndLeaveTheRest() {
    assertThat(
            Redaction.redact(
                "Redis at redis://:pw@h:1/0 is unavailable; webhook https://x.io/a/b failed"))
        .isEqualTo("Redis at redis://:***@h:1/0 is unavailable; webhook https://x.io/*** failed");
    assertThat(Redaction.redact("no url here: seller 10")).isEqualTo("no url here: seller 10");
    assertThat(Redaction.redact("\"store\":\"redis://:pw@h:6379/0\""))
        .isEqualTo("\"store\":\"redis://:***@h:6379/0\"");
    assertThat(Redaction.redact(null)).isNull();
  }
}
