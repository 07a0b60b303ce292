package dev.herald.digest;

import java.time.Instant;

/**
 * An open digest bucket: the items gathered so far for one recipient of one rule.
 *
 * @param rule the rule's name
 * @param key the recipient key
 * @param openEventId the event that opened the bucket; it makes the notification id deterministic
 * @param firstAt earliest event time in the bucket
 * @param lastAt latest event time in the bucket
 * @param dueAt when the bucket closes: {@link DigestRule#deadline(Instant, Instant)}
 * @param count items in the bucket
 */
public record Bucket(
    String rule,
    String key,
    String openEventId,
    Instant firstAt,
    Instant lastAt,
    Instant dueAt,
    int count) {}
