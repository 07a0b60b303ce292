package dev.herald.server.config;

import dev.herald.process.FailurePolicy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code herald.yaml} declares, after validation and environment overrides.
 *
 * @param source the file it came from
 * @param server where and how the server runs
 * @param streams declared streams by name; only these accept events
 * @param processing how the jobs' consumers retry an event they fail to process, and where they put
 *     what they give up
 * @param jobs what each job read from its sections, in the order of the server's jobs
 */
public record HeraldConfig(
    Path source,
    ServerSettings server,
    Map<String, StreamConfig> streams,
    FailurePolicy processing,
    List<JobConfig> jobs) {

  public HeraldConfig {
    streams = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(streams));
    jobs = List.copyOf(jobs);
  }

  /** The settings of the job whose configuration is a {@code type}. */
  public <T extends JobConfig> T job(Class<T> type) {
    return jobs.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no job is configured by " + type));
  }

  /** Each consumer group of every job, with the stream it reads. */
  public Map<String, String> consumers() {
    Map<String, String> consumers = new LinkedHashMap<>();
    jobs.forEach(job -> consumers.putAll(job.consumers()));
    return consumers;
  }

  /**
   * The streams Herald writes itself, each with who writes it: what the jobs write (routes'
   * outputs, alerts, notification streams, failed notifications) and the dead-letter streams.
   */
  public Map<String, String> writtenByHerald() {
    Map<String, String> writers = new LinkedHashMap<>();
    jobs.forEach(job -> job.writes().forEach(writers::putIfAbsent));
    deadLetterStreams()
        .forEach(
            (stream, group) ->
                writers.putIfAbsent(stream, group + " (the events it gave up: dead letters)"));
    return writers;
  }

  /** Each consumer group's dead-letter stream, with the group. */
  public Map<String, String> deadLetterStreams() {
    Map<String, String> streams = new LinkedHashMap<>();
    consumers()
        .forEach(
            (group, stream) ->
                streams.putIfAbsent(processing.deadLetterStream(group, stream), group));
    return streams;
  }

  public HeraldConfig withServer(ServerSettings settings) {
    return new HeraldConfig(source, settings, streams, processing, jobs);
  }
}
