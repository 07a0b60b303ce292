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
    Agent agent = agent("test-agent", () -> {
      if (calls.incrementAndGet() == 1) {
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
      runner.wake();
      Thread.sleep(50); // let the permit reach the parked latch wait, which returns and parks again
      release.countDown();
      assertThat(secondCall.await(10, TimeUnit.SECONDS)).as("second doWork after a wake during the first").isTrue();
    }
  }

  @Test
  void anIdleAgentWaitsForItsPauseUnlessWoken() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Agent agent = agent("idle-agent", () -> {
      calls.incrementAndGet();
      return 0;
    });
    try (AgentRunner runner = new AgentRunner(agent, LONG_PAUSE, LONG_PAUSE).start()) {
      Thread.sleep(200);
      assertThat(calls.get()).isEqualTo(1);
      runner.wake();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (calls.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(calls.get()).isEqualTo(2);
    }
  }
}
