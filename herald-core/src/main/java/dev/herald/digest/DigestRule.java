package dev.herald.digest;

import dev.herald.notify.Sink;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A quiet-period digest: events of {@code stream} are grouped by the value of {@code groupBy}; a
 * group's bucket closes {@code quietPeriod} after its last event (capped at {@code maxWait} after
 * its first, and closed early when it holds {@code maxItems}) and becomes one notification.
 *
 * @param name unique name of the rule
 * @param stream the stream it reads
 * @param groupBy the field whose value is the recipient key (compared as text)
 * @param collect fields copied into each item: one field gives its value, several give an object of
 *     them, none gives the whole event
 * @param quietPeriod how long after the last event the bucket closes
 * @param maxWait optional cap on how long after the first event the bucket closes
 * @param maxItems optional cap on items per bucket; a full bucket closes at once
 * @param timeField optional field holding the event time; otherwise the log's event time
 * @param deliver where each notification goes, in order
 */
public record DigestRule(
    String name,
    String stream,
    String groupBy,
    List<String> collect,
    Duration quietPeriod,
    Optional<Duration> maxWait,
    OptionalInt maxItems,
    Optional<String> timeField,
    List<Sink> deliver) {

  public DigestRule {
    requireText(name, "name");
    requireText(stream, "stream");
    requireText(groupBy, "groupBy");
    collect = List.copyOf(Objects.requireNonNull(collect, "collect"));
    requirePositive(Objects.requireNonNull(quietPeriod, "quietPeriod"), "quietPeriod");
    Objects.requireNonNull(maxWait, "maxWait").ifPresent(d -> requirePositive(d, "maxWait"));
    Objects.requireNonNull(maxItems, "maxItems");
    if (maxItems.isPresent() && maxItems.getAsInt() < 1) {
      throw new IllegalArgumentException(
          "maxItems must be at least 1, but was " + maxItems.getAsInt());
    }
    Objects.requireNonNull(timeField, "timeField");
    deliver = List.copyOf(Objects.requireNonNull(deliver, "deliver"));
  }

  /** A rule with only the required parts: no maxWait, no maxItems, log time, no sinks. */
  public static DigestRule of(
      String name, String stream, String groupBy, String collect, Duration quietPeriod) {
    return new DigestRule(
        name,
        stream,
        groupBy,
        List.of(collect),
        quietPeriod,
        Optional.empty(),
        OptionalInt.empty(),
        Optional.empty(),
        List.of());
  }

  /** When a bucket with these first and last event times is due. */
  public Instant deadline(Instant firstAt, Instant lastAt) {
    Instant quiet = lastAt.plus(quietPeriod);
    return maxWait.map(w -> firstAt.plus(w)).filter(cap -> cap.isBefore(quiet)).orElse(quiet);
  }

  /** The consumer group through which the digest engine reads {@link #stream}. */
  public String consumerGroup() {
    return "digest:" + name;
  }

  public DigestRule withDeliver(List<Sink> sinks) {
    return new DigestRule(
        name, stream, groupBy, collect, quietPeriod, maxWait, maxItems, timeField, sinks);
  }

  public DigestRule withMaxWait(Duration wait) {
    return new DigestRule(
        name,
        stream,
        groupBy,
        collect,
        quietPeriod,
        Optional.of(wait),
        maxItems,
        timeField,
        deliver);
  }

  public DigestRule withMaxItems(int items) {
    return new DigestRule(
        name,
        stream,
        groupBy,
        collect,
        quietPeriod,
        maxWait,
        OptionalInt.of(items),
        timeField,
        deliver);
  }

  public DigestRule withTimeField(String field) {
    return new DigestRule(
        name,
        stream,
        groupBy,
        collect,
        quietPeriod,
        maxWait,
        maxItems,
        Optional.of(field),
        deliver);
  }

  private static void requireText(String value, String what) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }

  private static void requirePositive(Duration d, String what) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be a positive duration, but was " + d);
    }
  }
}
