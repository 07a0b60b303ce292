package dev.herald.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Agent} on its own thread until closed.
 *
 * <p>While the agent is idle the runner parks for a time that doubles from {@code minIdle} (50 µs
 * unless given) up to {@code maxIdle}, so an idle agent costs almost nothing and a busy one never
 * sleeps. Whatever {@code doWork} throws is logged (one line), counted, and the loop goes on after
 * a pause: a store outage must not kill an engine, and neither may an {@link OutOfMemoryError} that
 * one large read caused (the live-topics thread once died of one, and live delivery stopped while
 * health said UP). Only an {@link InternalError} or {@link UnknownError}, the VM's own failure,
 * stops the thread; {@link #health()} then says so. {@link #wake()} cuts a pause short.
 *
 * <p>Thread-safety: {@link #start()}, {@link #wake()} and {@link #close()} may be called from any
 * thread.
 */
public final class AgentRunner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AgentRunner.class);
  private static final long MIN_IDLE_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  private static final long ERROR_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final Agent agent;
  private final long minIdleNanos;
  private final long maxIdleNanos;
  private final Thread thread;
  private volatile boolean running = true;

  /**
   * Set by {@link #wake()}, cleared before each {@code doWork}: an unpark alone is not enough,
   * since a wake that comes while the agent works can be consumed by a park inside its work (a
   * lock, a future it waits for), and the runner would then pause its full idle time.
   */
  private volatile boolean woken;

  private final AtomicLong failures = new AtomicLong();

  /**
   * System.nanoTime of the first failure since the last success; 0 while the last call succeeded.
   */
  private volatile long failingSince;

  private volatile String lastFailure;
  private volatile boolean stopped;

  public AgentRunner(Agent agent, Duration maxIdle) {
    this(agent, Duration.ofNanos(MIN_IDLE_NANOS), maxIdle);
  }

  /**
   * A runner whose first pause after work is {@code minIdle}: for an agent that is {@link #wake()
   * woken} for most of its work, polling again within microseconds finds nothing but costs a read.
   */
  public AgentRunner(Agent agent, Duration minIdle, Duration maxIdle) {
    this.agent = Objects.requireNonNull(agent, "agent");
    this.minIdleNanos = Math.min(minIdle.toNanos(), maxIdle.toNanos());
    this.maxIdleNanos = maxIdle.toNanos();
    this.thread = Thread.ofPlatform().name(agent.roleName()).daemon(true).unstarted(this::run);
  }

  public AgentRunner start() {
    thread.start();
    return this;
  }

  /** Ends an idle pause now, e.g. because new work was just handed to the agent. */
  public void wake() {
    woken = true;
    LockSupport.unpark(thread);
  }

  private void run() {
    long idle = minIdleNanos;
    while (running) {
      try {
        woken = false;
        int work = agent.doWork();
        failingSince = 0;
        if (work > 0 || woken) {
          idle = minIdleNanos;
        } else {
          LockSupport.parkNanos(idle);
          idle = Math.min(idle * 2, maxIdleNanos);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (InternalError | UnknownError e) {
        stopped = true;
        lastFailure = e.toString();
        LOG.error("{} stopped by a VM error: {}", agent.roleName(), e.toString(), e);
        throw e;
      } catch (Throwable t) {
        failed(t);
        LockSupport.parkNanos(ERROR_PAUSE_NANOS);
      }
    }
    try {
      agent.onClose();
    } catch (RuntimeException e) {
      LOG.warn("{} failed to close", agent.roleName(), e);
    }
  }

  private void failed(Throwable t) {
    failures.incrementAndGet();
    if (failingSince == 0) {
      long now = System.nanoTime();
      failingSince = now == 0 ? 1 : now;
    }
    lastFailure = t.toString();
    if (t instanceof Error) {
      LOG.error("{} failed with {}; going on after a pause", agent.roleName(), t.toString());
    } else {
      LOG.warn("{} failed, retrying shortly: {}", agent.roleName(), t.toString());
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} failure", agent.roleName(), t);
    }
  }

  /** How the agent is doing now; safe to call from any thread. */
  public AgentHealth health() {
    long since = failingSince;
    Duration failingFor = since == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    return new AgentHealth(
        agent.roleName(),
        stopped || (running && !thread.isAlive() && thread.getState() == Thread.State.TERMINATED),
        failures.get(),
        failingFor,
        Optional.ofNullable(lastFailure));
  }

  /** Stops the loop after the current {@code doWork} and waits for the thread to end. */
  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
