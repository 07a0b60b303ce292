package dev.herald.server.config;

import java.util.Set;

/** The top-level sections of {@code herald.yaml} that one job owns, and their parser. */
public interface JobSections {

  /** The names of the sections, each owned by exactly one job. */
  Set<String> sections();

  /** Reads the sections; errors are {@link ConfigException}s naming the line. */
  JobConfig read(ConfigReader in);
}
