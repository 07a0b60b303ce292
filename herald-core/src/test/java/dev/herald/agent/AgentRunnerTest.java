package dev.herald.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AgentRunnerTest {

  /** An idle pause far longer than any test waits: only a wake can bring the next call. */
  private static final Duration LONG_PAUSE = Duration.ofMinutes(5);

  @FunctionalInterface
  private interface Work {
    int run() throws InterruptedException;
  }

  private static Agent agent(String name, Work work) {
    return new Agent() {
      @Override
      public int doWork() throws InterruptedException {
        return work.run();
      }

      @Override
      public String roleName() {
        return name;
      }
    };
  }

  @Test
  void aWakeDuringWorkThatWaitsOnALockIsNotLost() throws Exception {
    CountDownLatch working = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch secondCall = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<Thread> runnerThread =
        new java.util.concurrent.atomic.AtomicReference<>();
    Agent agent =
        agent(
            "test-agent",
            () -> {
              if (calls.incrementAndGet() == 1) {
                runnerThread.set(Thread.currentThread());
                working.countDown();
                // parks inside the work: the wake's unpark permit is used up here
                release.await();
              } else {
                secondCall.countDown();
              }
              return 0;
            });
    try (AgentRunner runner = new AgentRunner(agent, LONG_PAUSE, LONG_PAUSE).start()) {
      assertThat(working.await(10, TimeUnit.SECONDS)).isTrue();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> runnerThread.get().getState() == Thread.State.WAITING);
      runner.wake();
      // the permit reaches the parked latch wait, which returns and parks again
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> runnerThread.get().getState() == Thread.State.WAITING);
      release.countDown();
      assertThat(secondCall.await(10, TimeUnit.SECONDS))
          .as("second doWork after a wake during the first")
          .isTrue();
    }
  }

  @Test
  void anIdleAgentWaitsForItsPauseUnlessWoken() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Agent agent =
        agent(
            "idle-agent",
            () -> {
              calls.incrementAndGet();
              return 0;
            });
    try (AgentRunner runner = new AgentRunner(agent, LONG_PAUSE, LONG_PAUSE).start()) {
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> calls.get() == 1);
      org.awaitility.Awaitility.await()
          .during(Duration.ofMillis(200))
          .atMost(Duration.ofSeconds(1))
          .until(() -> calls.get() == 1);
      runner.wake();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> calls.get() == 2);
    }
  }

  @Test
  void shouldGoOnAfterAnOutOfMemoryErrorAndCountIt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch after = new CountDownLatch(1);
    Agent agent =
        agent(
            "oom-agent",
            () -> {
              if (calls.incrementAndGet() == 1) {
                throw new OutOfMemoryError("Java heap space (thrown by the test)");
              }
              after.countDown();
              return 0;
            });
    try (AgentRunner runner = new AgentRunner(agent, Duration.ofMillis(1)).start()) {
      assertThat(after.await(10, TimeUnit.SECONDS))
          .as("doWork called again after the error")
          .isTrue();
      // the success that ends the failing spell is recorded when doWork returns
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> runner.health().failingFor().isZero());
      AgentHealth health = runner.health();
      assertThat(health.stopped()).isFalse();
      assertThat(health.failures()).isEqualTo(1);
      assertThat(health.lastFailure())
          .hasValueSatisfying(f -> assertThat(f).contains("OutOfMemoryError"));
      assertThat(health.unhealthy(Duration.ofSeconds(5))).isFalse();
    }
  }

  @Test
  void shouldReportAnAgentFailingWithoutASuccessAndOneStoppedByAVmError() throws Exception {
    CountDownLatch failedTwice = new CountDownLatch(2);
    Agent failing =
        agent(
            "failing-agent",
            () -> {
              failedTwice.countDown();
              throw new IllegalStateException("the store is down (thrown by the test)");
            });
    CountDownLatch thrown = new CountDownLatch(1);
    Agent dying =
        agent(
            "dying-agent",
            () -> {
              thrown.countDown();
              throw new InternalError("the VM failed (thrown by the test)");
            });
    try (AgentRunner runner = new AgentRunner(failing, Duration.ofMillis(1)).start();
        AgentRunner dead = new AgentRunner(dying, Duration.ofMillis(1)).start()) {
      assertThat(failedTwice.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(thrown.await(10, TimeUnit.SECONDS)).isTrue();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> dead.health().stopped());

      assertThat(runner.health().stopped()).isFalse();
      assertThat(runner.health().failingFor()).isPositive();
      assertThat(runner.health().unhealthy(Duration.ZERO)).isTrue();
      assertThat(dead.health().unhealthy(Duration.ofDays(1))).isTrue();
      assertThat(dead.health().lastFailure())
          .hasValueSatisfying(f -> assertThat(f).contains("InternalError"));
    }
  }
}
