package dev.herald.server;

import dev.herald.agent.AgentHealth;
import dev.herald.agent.AgentRunner;
import dev.herald.digest.DigestRule;
import dev.herald.server.config.ConfigException;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.digests.DigestsConfig;
import dev.herald.server.job.Job;
import dev.herald.server.job.JobContext;
import dev.herald.server.job.RunningJob;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.server.store.Backends;
import dev.herald.server.streams.StreamRetention;
import dev.herald.store.Backend;
import dev.herald.store.StoreSettings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background half of Herald: the store, every job's agents (see {@link Jobs}) and stream
 * retention, each on its own thread. {@code herald server} adds the HTTP API on top; {@code herald
 * worker} runs this alone. Several of them may share one Redis: consumer groups split the events
 * and the store closes each bucket once.
 */
public final class HeraldEngines implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HeraldEngines.class);

  /** The longest pause of an idle stream-reading agent on SQLite, where local appends wake it. */
  private static final Duration LOCAL_LOG_IDLE = Duration.ofSeconds(1);

  private final List<AutoCloseable> opened = new ArrayList<>();
  private final List<AgentRunner> runners = new CopyOnWriteArrayList<>();
  private final List<RunningJob> jobs = new ArrayList<>();
  private final Backend backend;
  private final HeraldMetrics metrics;

  /** The engines of a server process. */
  public HeraldEngines(HeraldConfig config, InstantSource clock) {
    this(config, clock, "server");
  }

  /**
   * @param role what the process is ({@code server}, {@code worker}), part of its consumer name
   */
  public HeraldEngines(HeraldConfig config, InstantSource clock, String role) {
    backend = track(openBackend(config, clock));
    try {
      metrics = new HeraldMetrics();
      // Agents that read streams are woken by every append the log reports (onAppended below).
      // On SQLite this process is the only writer, and PostgreSQL notifies every process of every
      // append, so their polls only catch abandoned batches and lost wake-ups and can be rare;
      // other processes append to a Redis store unreported, and only a poll finds their events.
      Duration logIdle =
          Backends.shared(config.server().logStore()) && !backend.log().reportsEveryAppend()
              ? Duration.ofMillis(10)
              : LOCAL_LOG_IDLE;
      JobContext context =
          new JobContext(
              config,
              backend,
              clock,
              consumerName(role, config.server().data(), System.getenv("HERALD_INSTANCE")),
              logIdle,
              config.processing().withListener(metrics),
              metrics,
              this::track);
      for (Job job : Jobs.ALL) {
        RunningJob running = job.start(context);
        jobs.add(running);
        metrics.include(running);
      }
      // woken by the log as soon as a local append commits (SQLite: on its writer thread), not
      // once the appending request thread runs again; measured with 1,000 live subscribers,
      // four alternating runs: paced p99 41-86 ms against 54-140 ms waking from the request
      backend.log().onAppended(this::wakeJobs);
      track(
          new AgentRunner(
                  new StreamRetention(backend.log(), List.copyOf(config.streams().values()), clock),
                  Duration.ofSeconds(1))
              .start());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private static Backend openBackend(HeraldConfig config, InstantSource clock) {
    Map<String, Long> maxLengths = new LinkedHashMap<>();
    config
        .streams()
        .values()
        .forEach(s -> s.maxLength().ifPresent(n -> maxLengths.put(s.name(), n)));
    StoreSettings settings =
        new StoreSettings(
            config.server().store(),
            config.server().data(),
            config.server().durability(),
            config.server().storePrefix(),
            config.server().storeSchema(),
            clock,
            config.job(DigestsConfig.class).rules().stream().map(DigestRule::name).toList(),
            maxLengths);
    try {
      Backends.checkPairing(config.server().store(), config.server().log());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return Backends.open(settings, config.server().log());
  }

  /**
   * This process's consumer name in every group: the same after a restart of the same instance (its
   * role, host and data folder, or {@code HERALD_INSTANCE} when set), so that a restarted process
   * takes back the events it held at once ({@link dev.herald.log.EventLog#releasePending}) instead
   * of after their lease. Two live processes must not share one: give each its own data folder (as
   * SQLite requires anyway) or {@code HERALD_INSTANCE}.
   */
  static String consumerName(String role, Path data, String instance) {
    if (instance != null && !instance.isBlank()) {
      return "herald-" + instance;
    }
    String runtime = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    String host = runtime.substring(runtime.indexOf('@') + 1);
    return "herald-" + role + "@" + host + ":" + data.toAbsolutePath().normalize();
  }

  private <T extends AutoCloseable> T track(T resource) {
    opened.add(resource);
    if (resource instanceof AgentRunner runner) {
      runners.add(runner);
    }
    return resource;
  }

  /** How each background agent is doing, for readiness and metrics. */
  public List<AgentHealth> agents() {
    return runners.stream().map(AgentRunner::health).toList();
  }

  public Backend backend() {
    return backend;
  }

  public HeraldMetrics metrics() {
    return metrics;
  }

  /** The started jobs, in the order of {@link Jobs#ALL}. */
  public List<RunningJob> jobs() {
    return List.copyOf(jobs);
  }

  /** New events were appended: let the jobs look now rather than after their idle pause. */
  private void wakeJobs() {
    jobs.forEach(RunningJob::wake);
  }

  /** Stops the engines after their current work, then closes the store. */
  @Override
  public void close() {
    List<AutoCloseable> reverse = new ArrayList<>(opened);
    Collections.reverse(reverse);
    for (AutoCloseable resource : reverse) {
      try {
        resource.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", resource, e);
      }
    }
    opened.clear();
  }
}
