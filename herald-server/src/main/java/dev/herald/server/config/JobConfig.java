package dev.herald.server.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What one job read from {@code herald.yaml}, with what the rest of the server must know of it: the
 * consumer groups it runs (for the {@code processing} section and dead letters), the streams it
 * writes (which clients may not), and what it needs of the events posted to the streams it reads.
 */
public interface JobConfig {

  /** Each consumer group this job runs, with the stream it reads. */
  Map<String, String> consumers();

  /** The streams this job writes itself, each with who writes it. */
  Map<String, String> writes();

  /** The checks posted events must pass, run before anything is stored. */
  List<EventCheck> checks();

  /**
   * A check of the events posted to {@code stream}.
   *
   * @param check throws {@link dev.herald.log.InvalidEventException} naming what is wrong
   */
  record EventCheck(String stream, Consumer<ObjectNode> check) {}
}
