package dev.herald.server.live;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.job.Job;
import dev.herald.server.job.JobContext;
import dev.herald.server.job.RunningJob;
import dev.herald.server.metrics.MetricsText;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.topic.Topics;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;
import java.time.Duration;
import java.util.Set;

/**
 * Live topics: subscribers follow streams over SSE ({@code /api/streams/{stream}/live}) and
 * WebSocket ({@code /ws/streams/{stream}}), with history and resume after the last event seen; the
 * chat page offers the configured topics.
 */
public final class LiveJob implements Job {

  @Override
  public String name() {
    return "live";
  }

  @Override
  public Set<String> sections() {
    return Set.of("topics", "live");
  }

  @Override
  public LiveSettings read(ConfigReader in) {
    return LiveSettings.read(in);
  }

  @Override
  public RunningJob start(JobContext context) {
    LiveSettings settings = context.config().job(LiveSettings.class);
    Topics topics =
        new Topics(
            context.backend().log(),
            new Topics.Options(settings.ringCapacity(), settings.maxLag()));
    // local appends wake the runner (wake below); other processes append to a shared store too, so
    // it polls every 5 ms while subscribed, and not sooner: re-polling 50 µs after each batch, as
    // other agents do, found nothing and cost the thread 1.5x its CPU (one pair of runs)
    AgentRunner runner = context.run(topics, Duration.ofMillis(5), Duration.ofMillis(5));
    return new RunningJob() {
      @Override
      public void wake() {
        runner.wake();
      }

      @Override
      public void routes(HttpRouting.Builder routing, StreamRoutes streams) {
        routing
            .register("/api/streams", new LiveRoutes(context.config(), topics))
            .register(new ChatRoutes(settings.topics()));
      }

      @Override
      public void sockets(WsRouting.Builder sockets, StreamRoutes streams) {
        sockets.endpoint(
            "/ws/streams/{stream}", () -> new LiveSocket(context.config(), topics, streams));
      }

      @Override
      public void describe(ObjectNode about) {
        // the topics are listed by /api/topics, for the chat page
      }

      @Override
      public void writeTo(MetricsText out) {
        out.gauge(
                "herald_live_subscribers",
                "Open live subscriptions (SSE and WebSocket).",
                topics.subscribers())
            .counter(
                "herald_live_too_slow_total",
                "Live subscriptions ended for falling more than live.maxLag events behind.",
                topics.tooSlow());
      }
    };
  }
}
