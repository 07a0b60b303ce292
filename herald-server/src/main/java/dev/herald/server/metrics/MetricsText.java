package dev.herald.server.metrics;

import java.util.Map;

/** A scrape being written in the Prometheus text exposition format. Not thread-safe. */
public final class MetricsText {

  private final StringBuilder out = new StringBuilder(4096);

  private MetricsText header(String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    return this;
  }

  private void sample(String name, String label, String value, Object sample) {
    out.append(name);
    if (label != null) {
      out.append('{').append(label).append("=\"").append(escape(value)).append("\"}");
    }
    out.append(' ').append(sample).append('\n');
  }

  /** A counter by one label, one sample per label value seen. */
  public MetricsText counter(String name, String help, String label, LabelledCounter counter) {
    header(name, help, "counter");
    counter.sums().forEach((value, sum) -> sample(name, label, value, sum));
    return this;
  }

  /** A counter without labels. */
  public MetricsText counter(String name, String help, long value) {
    header(name, help, "counter");
    sample(name, null, null, value);
    return this;
  }

  /** A gauge without labels. */
  public MetricsText gauge(String name, String help, Number value) {
    header(name, help, "gauge");
    sample(name, null, null, value);
    return this;
  }

  /** A gauge by one label, in the map's order. */
  public MetricsText gauge(String name, String help, String label, Map<String, ?> values) {
    return family(name, help, "gauge", label, values);
  }

  /** A counter by one label whose values are read at scrape time, in the map's order. */
  public MetricsText counter(String name, String help, String label, Map<String, ?> values) {
    return family(name, help, "counter", label, values);
  }

  private MetricsText family(
      String name, String help, String type, String label, Map<String, ?> values) {
    header(name, help, type);
    values.forEach((value, sample) -> sample(name, label, value, sample));
    return this;
  }

  /** A histogram of {@code counts} (one per bound, then +Inf; not cumulative). */
  public MetricsText histogram(
      String name, String help, double[] bounds, long[] counts, double sum, long count) {
    header(name, help, "histogram");
    long cumulative = 0;
    for (int i = 0; i < bounds.length; i++) {
      cumulative += counts[i];
      sample(name + "_bucket", "le", String.valueOf(bounds[i]), cumulative);
    }
    cumulative += counts[bounds.length];
    sample(name + "_bucket", "le", "+Inf", cumulative);
    sample(name + "_sum", null, null, sum);
    sample(name + "_count", null, null, count);
    return this;
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
