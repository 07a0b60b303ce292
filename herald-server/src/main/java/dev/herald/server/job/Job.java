package dev.herald.server.job;

import dev.herald.server.config.JobSections;

/**
 * One of Herald's jobs (digests; reviews; live topics): it owns its sections of {@code herald.yaml}
 * and, once the store is open, starts its agents and brings its HTTP routes and metrics. The server
 * runs an explicit list of them ({@code dev.herald.server.Jobs}); a new capability is a new job,
 * not a change to the server.
 */
public interface Job extends JobSections {

  /** The job's name, as logs say it. */
  String name();

  /** Starts the job's agents on the opened store. */
  RunningJob start(JobContext context);
}
