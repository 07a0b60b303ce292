package dev.herald.server.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.metrics.MetricsSource;
import dev.herald.server.streams.StreamRoutes;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;

/**
 * A started job. Its agents were started through {@link JobContext#run}, so the server stops them
 * with the others; what is left here is how the rest of the server reaches the job.
 */
public interface RunningJob extends MetricsSource {

  /** Events were appended in this process: let the job's stream readers look now. */
  default void wake() {}

  /**
   * Registers the job's HTTP routes ({@code herald server} only; {@code herald worker} has none).
   *
   * @param streams the stream API, for routes that publish as {@code POST /api/streams} does
   */
  void routes(HttpRouting.Builder routing, StreamRoutes streams);

  /** Registers the job's WebSocket endpoints. */
  default void sockets(WsRouting.Builder sockets, StreamRoutes streams) {}

  /** Adds what the job runs to {@code GET /api}. */
  void describe(ObjectNode about);
}
