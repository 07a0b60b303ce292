package dev.herald.server.config;

import dev.herald.digest.DigestRule;
import dev.herald.notify.RetryPolicy;
import dev.herald.inbox.InboxRule;
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
 */
public record HeraldConfig(
    Path source, ServerSettings server, Map<String, StreamConfig> streams, List<DigestRule> digests, RetryPolicy retry,
    Map<String, DirectoryConfig> directories, List<RouteRule> routes, List<InboxRule> inboxes, AlertSettings alerts,
    LiveSettings live) {

  /** The stream that receives notifications whose delivery was given up. */
  public static final String FAILED_STREAM = "notifications.failed";

  public Optional<DigestRule> digest(String name) {
    return digests.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  public HeraldConfig withServer(ServerSettings settings) {
    return new HeraldConfig(source, settings, streams, digests, retry, directories, routes, inboxes, alerts, live);
  }
}
