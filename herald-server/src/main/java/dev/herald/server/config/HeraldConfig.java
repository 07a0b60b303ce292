package dev.herald.server.config;

import dev.herald.digest.DigestRule;
import dev.herald.inbox.InboxRule;
import dev.herald.process.FailurePolicy;
import dev.herald.retry.RetryPolicy;
import dev.herald.route.RouteRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@code herald.yaml} declares, after validation and environment overrides.
 *
 * @param source the file it came from
 * @param server where and how the server runs
 * @param streams declared streams by name; only these accept events
 * @param digests digest rules
 * @param retry how failed deliveries are retried
 * @param directories declared directories by name
 * @param routes route rules
 * @param inboxes inbox rules
 * @param alerts the alerts stream and the monitor's period
 * @param live chat topics and live subscription settings
 * @param processing how digests, routes and inboxes retry an event they fail to process, and where
 *     they put what they give up
 */
public record HeraldConfig(
    Path source,
    ServerSettings server,
    Map<String, StreamConfig> streams,
    List<DigestRule> digests,
    RetryPolicy retry,
    Map<String, DirectoryConfig> directories,
    List<RouteRule> routes,
    List<InboxRule> inboxes,
    AlertSettings alerts,
    LiveSettings live,
    FailurePolicy processing) {

  /** The stream that receives notifications whose delivery was given up. */
  public static final String FAILED_STREAM = "notifications.failed";

  /**
   * The streams Herald writes itself, each with who writes it: routes' outputs, the alerts, the
   * streams notifications are delivered to and the failed-notifications stream.
   */
  public Map<String, String> writtenByHerald() {
    Map<String, String> writers = new java.util.LinkedHashMap<>();
    for (RouteRule route : routes) {
      writers.putIfAbsent(route.to(), "route '" + route.name() + "'");
      writers.putIfAbsent(route.invalid(), "route '" + route.name() + "' (events it cannot route)");
    }
    writers.putIfAbsent(alerts.stream(), "the alert board");
    for (DigestRule rule : digests) {
      for (dev.herald.notify.Sink sink : rule.deliver()) {
        if (sink instanceof dev.herald.notify.StreamSink stream) {
          writers.putIfAbsent(
              stream.stream(), "digest rule '" + rule.name() + "' (its notifications)");
        }
      }
    }
    writers.putIfAbsent(
        FAILED_STREAM, "the dispatcher (notifications whose delivery was given up)");
    deadLetterStreams()
        .forEach(
            (stream, group) ->
                writers.putIfAbsent(stream, group + " (the events it gave up: dead letters)"));
    return writers;
  }

  /** Each consumer group's dead-letter stream, with the group: digests, routes and inboxes. */
  public Map<String, String> deadLetterStreams() {
    Map<String, String> streams = new java.util.LinkedHashMap<>();
    for (DigestRule rule : digests) {
      streams.putIfAbsent(
          processing.deadLetterStream(rule.consumerGroup(), rule.stream()), rule.consumerGroup());
    }
    for (RouteRule rule : routes) {
      streams.putIfAbsent(
          processing.deadLetterStream(rule.consumerGroup(), rule.stream()), rule.consumerGroup());
    }
    for (InboxRule rule : inboxes) {
      streams.putIfAbsent(
          processing.deadLetterStream(rule.consumerGroup(), rule.stream()), rule.consumerGroup());
    }
    return streams;
  }

  public Optional<DigestRule> digest(String name) {
    return digests.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  public HeraldConfig withServer(ServerSettings settings) {
    return new HeraldConfig(
        source,
        settings,
        streams,
        digests,
        retry,
        directories,
        routes,
        inboxes,
        alerts,
        live,
        processing);
  }
}
