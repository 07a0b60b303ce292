package dev.herald.server.metrics;

/** Something whose metrics {@code /metrics} includes: a job, read at scrape time. */
@FunctionalInterface
public interface MetricsSource {

  void writeTo(MetricsText out);
}
