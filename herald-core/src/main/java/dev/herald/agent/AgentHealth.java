package dev.herald.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How an agent's thread is doing, for readiness and metrics.
 *
 * @param role the agent's {@link Agent#roleName()}
 * @param stopped whether its thread ended without being closed (a true VM error): nothing runs it
 * @param failures how many of its {@code doWork} calls failed since it started
 * @param failingFor how long its calls have failed without one success in between; zero while the
 *     last call succeeded
 * @param lastFailure what the last failure was, when there was one
 */
public record AgentHealth(
    String role,
    boolean stopped,
    long failures,
    Duration failingFor,
    Optional<String> lastFailure) {
  public AgentHealth {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(failingFor, "failingFor");
    Objects.requireNonNull(lastFailure, "lastFailure");
  }

  /**
   * How long an agent may fail without a success before it counts as unhealthy (see {@link
   * #unhealthy()}).
   */
  public static final Duration PATIENCE = Duration.ofSeconds(10);

  /** Whether the agent is stopped, or has failed without a success for {@link #PATIENCE}. */
  public boolean unhealthy() {
    return unhealthy(PATIENCE);
  }

  /**
   * Whether the agent is stopped, or has failed without a success for at least {@code patience}.
   */
  public boolean unhealthy(Duration patience) {
    return stopped || failingFor.compareTo(patience) >= 0;
  }
}
