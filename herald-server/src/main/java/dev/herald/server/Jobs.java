package dev.herald.server;

import dev.herald.server.config.ConfigLoader;
import dev.herald.server.digests.DigestsJob;
import dev.herald.server.job.Job;
import dev.herald.server.live.LiveJob;
import dev.herald.server.reviews.ReviewsJob;
import java.util.List;
import java.util.Map;

/**
 * The jobs Herald runs, in the order their sections are read and their agents start. A new
 * capability is a new {@link Job} added here.
 */
public final class Jobs {

  /** Digests; reviews (routes, inboxes, alerts); live topics. */
  public static final List<Job> ALL = List.of(new DigestsJob(), new ReviewsJob(), new LiveJob());

  private Jobs() {}

  /** A loader of configurations for these jobs, overridden by {@code env}. */
  public static ConfigLoader configLoader(Map<String, String> env) {
    return new ConfigLoader(env, ALL);
  }
}
