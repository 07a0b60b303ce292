package dev.herald.server.live;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.topic.LiveEvent;
import dev.herald.topic.SubscriberTooSlowException;
import dev.herald.topic.Subscription;
import dev.herald.topic.Topics;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/streams/{stream}/live}: server-sent events, each with {@code id:} = its event id,
 * resuming after {@code Last-Event-ID} (or the {@code lastEventId} query parameter, which a
 * browser's first EventSource connection can set; the header wins), or {@code after=ID}, {@code
 * after=earliest} (all retained history) or {@code after=latest} (the default: only new events).
 */
public final class LiveRoutes implements HttpService {

  private static final Logger LOG = LoggerFactory.getLogger(LiveRoutes.class);

  private final HeraldConfig config;
  private final Topics topics;
  private final Duration heartbeat;

  public LiveRoutes(HeraldConfig config, Topics topics) {
    this.config = Objects.requireNonNull(config, "config");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.heartbeat = config.job(LiveSettings.class).heartbeat();
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get("/{stream}/live", this::live);
  }

  /** Resolves where a subscriber starts, from what it sent; throws a 400 problem when unusable. */
  static Subscription subscribe(
      Topics topics, String stream, Optional<String> lastEventId, Optional<String> after) {
    if (lastEventId.isEmpty() && (after.isEmpty() || after.get().equals("latest"))) {
      return topics.subscribeToNew(stream);
    }
    String source = lastEventId.isPresent() ? "Last-Event-ID" : "after";
    String cursor = lastEventId.orElseGet(() -> after.get().equals("earliest") ? "" : after.get());
    try {
      return topics.subscribe(stream, cursor);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest(source + ": " + e.getMessage());
    }
  }

  /** What a subscriber is told when its cursor was trimmed away. */
  static ObjectNode resetJson(Subscription subscription, String oldest) {
    ObjectNode reset = Json.object();
    reset.put("type", "reset");
    reset.put("requested", subscription.cursor());
    reset.put("oldestId", oldest);
    reset.put(
        "detail",
        "events after "
            + subscription.cursor()
            + " up to "
            + oldest
            + " were trimmed; continuing from "
            + oldest);
    return reset;
  }

  private void live(ServerRequest req, ServerResponse res) {
    String stream = StreamRoutes.knownStream(config, req);
    Optional<String> lastEventId =
        req.headers()
            .first(HeaderNames.create("Last-Event-ID"))
            .filter(v -> !v.isBlank())
            .or(() -> HttpJson.query(req, "lastEventId"));
    Subscription subscription =
        subscribe(topics, stream, lastEventId, HttpJson.query(req, "after"));
    // a client that stops reading blocks this thread in a write; interrupting it closes the socket
    subscription.onOverrun(Thread.currentThread()::interrupt);
    res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    res.header("X-Accel-Buffering", "no");
    try (subscription;
        OutputStream out = res.outputStream()) {
      write(
          out,
          "retry: 1000\n: subscribed to "
              + stream
              + " after "
              + (subscription.cursor().isEmpty() ? "the start" : subscription.cursor())
              + "\n\n");
      subscription
          .reset()
          .ifPresent(
              oldest ->
                  write(
                      out,
                      "event: reset\ndata: "
                          + Json.write(resetJson(subscription, oldest))
                          + "\n\n"));
      while (true) {
        List<LiveEvent> events;
        try {
          events = subscription.next(heartbeat);
        } catch (SubscriberTooSlowException e) {
          ObjectNode error = Json.object();
          error.put("type", "too-slow");
          error.put("detail", e.getMessage());
          error.put("lastEventId", subscription.cursor());
          write(out, "event: error\ndata: " + Json.write(error) + "\n\n");
          return;
        }
        if (events.isEmpty()) {
          write(out, ": heartbeat\n\n");
          continue;
        }
        write(out, frames(events));
      }
    } catch (UncheckedIOException | IOException gone) {
      LOG.debug("SSE subscriber of {} left: {}", stream, gone.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The events' frames as one write: each write to the response becomes a chunk of its own. */
  private static byte[] frames(List<LiveEvent> events) {
    if (events.size() == 1) {
      return events.getFirst().sseFrame();
    }
    int length = 0;
    for (LiveEvent event : events) {
      length += event.sseFrame().length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (LiveEvent event : events) {
      byte[] frame = event.sseFrame();
      System.arraycopy(frame, 0, all, at, frame.length);
      at += frame.length;
    }
    return all;
  }

  private static void write(OutputStream out, String text) {
    write(out, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void write(OutputStream out, byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
