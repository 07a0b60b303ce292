package dev.herald.server.job;

import dev.herald.agent.Agent;
import dev.herald.agent.AgentRunner;
import dev.herald.process.FailurePolicy;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.store.Backend;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Consumer;

/**
 * What a job starts with: the configuration, the opened store, the clock, the shared failure policy
 * and metrics, and a way to run agents that the server stops, in reverse order, when it closes.
 *
 * @param consumer this process's consumer name in every consumer group
 * @param logIdle the longest pause of an idle agent that reads streams: short when other processes
 *     append to a shared store (only a poll finds their events), long when local appends, which
 *     wake the agents, are the only ones
 * @param failures how consumers retry and dead-letter what they fail to process, counted in the
 *     metrics
 */
public record JobContext(
    HeraldConfig config,
    Backend backend,
    InstantSource clock,
    String consumer,
    Duration logIdle,
    FailurePolicy failures,
    HeraldMetrics metrics,
    Consumer<AutoCloseable> closeOnStop) {

  /** Starts {@code agent} on its own thread, pausing up to {@code maxIdle} when it is idle. */
  public AgentRunner run(Agent agent, Duration maxIdle) {
    return started(new AgentRunner(agent, maxIdle));
  }

  /** As {@link #run(Agent, Duration)}, pausing at least {@code minIdle} between calls. */
  public AgentRunner run(Agent agent, Duration minIdle, Duration maxIdle) {
    return started(new AgentRunner(agent, minIdle, maxIdle));
  }

  private AgentRunner started(AgentRunner runner) {
    closeOnStop.accept(runner);
    return runner.start();
  }
}
