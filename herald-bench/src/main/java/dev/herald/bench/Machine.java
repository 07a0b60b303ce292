package dev.herald.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmark ran on, for the report. */
final class Machine {

  private Machine() {}

  static String describe() {
    String cpu = "unknown CPU";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse(cpu);
    } catch (IOException ignored) {
      // not Linux
    }
    long memGiB =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize()
            >> 30;
    return Runtime.getRuntime().availableProcessors()
        + " cores ("
        + cpu
        + "), "
        + memGiB
        + " GiB RAM, Java "
        + Runtime.version()
        + ", "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch");
  }

  /**
   * CPU time used so far by the live threads whose name starts with {@code prefix}, in nanoseconds;
   * -1 when there is none. The SQLite writer is the one thread every write waits for, so its CPU
   * per event tells how close a run is to that limit.
   */
  static long threadCpuNanos(String prefix) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = -1;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(prefix)) {
        long cpu = threads.getThreadCpuTime(thread.threadId());
        if (cpu >= 0) {
          total = Math.max(total, 0) + cpu;
        }
      }
    }
    return total;
  }

  /**
   * Microseconds of {@link #threadCpuNanos} between two readings, per unit of work; NaN without
   * both.
   */
  static double microsPer(long before, long after, long units) {
    return before < 0 || after < 0 || units == 0 ? Double.NaN : (after - before) / 1e3 / units;
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
