package dev.herald.server.live;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.HeraldException;
import dev.herald.json.Json;
import dev.herald.log.StoreUnavailableException;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.http.EventBodies;
import dev.herald.server.http.ProblemException;
import dev.herald.server.http.ProblemResponses;
import dev.herald.server.listener.CoalescingWsUpgrader;
import dev.herald.server.streams.StreamRoutes;
import dev.herald.topic.LiveEvent;
import dev.herald.topic.SubscriberTooSlowException;
import dev.herald.topic.Subscription;
import dev.herald.topic.Topics;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/streams/{stream}?after=ID}: one WebSocket connection. It streams the events after
 * {@code after} ({@code earliest}, {@code latest} — the default — or an id) as JSON text messages
 * {@code {"id","time","data"}}, and takes {@code {"publish": {...}}} messages, answered with {@code
 * {"published": ID}} (and the client's {@code ref}, if it sent one); a message's {@code key}, like
 * a POST's {@code Idempotency-Key}, makes a resent message append once. A bad message gets an
 * {@code {"error": ...}} message and closes nothing; an unknown stream or a bad cursor closes the
 * connection with code 1008 and the reason; a subscriber that falls too far behind is closed with
 * 1013 and resumes with its last id. Binary messages close the connection with 1003.
 *
 * <p>While no event comes, the server pings; a client that answers nothing (not even pongs) for
 * {@code server.idleTimeout} is closed by the listener, and its subscription released. Pings from
 * the client are answered.
 *
 * <p>One instance per connection. Sends are serialised by a lock: the subscription's thread and the
 * connection's reader both send.
 */
public final class LiveSocket implements WsListener {

  private static final Logger LOG = LoggerFactory.getLogger(LiveSocket.class);
  private static final String PREFIX = "/ws/streams/";

  private final HeraldConfig config;
  private final Topics topics;
  private final StreamRoutes publisher;
  private final ReentrantLock sending = new ReentrantLock();
  private final StringBuilder fragments = new StringBuilder();
  private String stream;
  private Optional<String> after = Optional.empty();
  private volatile Subscription subscription;
  private volatile Thread pump;
  private CoalescingWsUpgrader.Frames frames;

  public LiveSocket(HeraldConfig config, Topics topics, StreamRoutes publisher) {
    this.config = config;
    this.topics = topics;
    this.publisher = publisher;
  }

  @Override
  public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) {
    String path = prologue.uriPath().path();
    stream =
        path.startsWith(PREFIX)
            ? java.net.URLDecoder.decode(path.substring(PREFIX.length()), StandardCharsets.UTF_8)
            : "";
    after = prologue.query().first("after").asOptional().filter(v -> !v.isBlank());
    return Optional.empty();
  }

  @Override
  public void onOpen(WsSession session) {
    frames = CoalescingWsUpgrader.frames(session);
    frames.onEnd(this::stop);
    if (!config.streams().containsKey(stream)) {
      close(
          session,
          1008,
          "unknown stream '" + stream + "'; known streams: " + config.streams().keySet());
      return;
    }
    try {
      subscription = LiveRoutes.subscribe(topics, stream, Optional.empty(), after);
    } catch (ProblemException e) {
      close(session, 1008, e.getMessage());
      return;
    }
    pump =
        Thread.ofVirtual().name("herald-ws-" + stream).unstarted(() -> pump(session, subscription));
    // a client that stops reading blocks the pump in a write; interrupting it closes the socket
    subscription.onOverrun(pump::interrupt);
    pump.start();
  }

  private void pump(WsSession session, Subscription subscription) {
    try (subscription) {
      subscription
          .reset()
          .ifPresent(
              oldest -> send(session, Json.write(LiveRoutes.resetJson(subscription, oldest))));
      // often enough that a live client's pongs reach the listener well within its idle timeout
      Duration heartbeat =
          min(
              config.job(LiveSettings.class).heartbeat(),
              config.server().http().idleTimeout().dividedBy(3));
      while (!Thread.currentThread().isInterrupted()) {
        List<LiveEvent> events;
        try {
          events = subscription.next(heartbeat);
        } catch (SubscriberTooSlowException e) {
          ObjectNode error = Json.object();
          error.put("type", "too-slow");
          error.put("error", e.getMessage());
          error.put("lastEventId", subscription.cursor());
          send(session, Json.write(error));
          close(session, 1013, "too slow: resume after " + subscription.cursor());
          return;
        }
        if (events.isEmpty()) {
          ping(session);
        } else {
          send(session, events);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.debug("WebSocket subscriber of {} left: {}", stream, e.toString());
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void onMessage(WsSession session, BufferData buffer, boolean last) {
    close(session, 1003, "binary messages are not accepted; send JSON text messages");
  }

  @Override
  public void onPing(WsSession session, BufferData buffer) {
    sending.lock();
    try {
      session.pong(buffer);
    } finally {
      sending.unlock();
    }
  }

  private void ping(WsSession session) {
    sending.lock();
    try {
      session.ping(BufferData.empty());
    } finally {
      sending.unlock();
    }
  }

  @Override
  public void onMessage(WsSession session, String text, boolean last) {
    if (fragments.length() + text.length() > config.server().maxBodyBytes()) {
      fragments.setLength(0);
      error(
          session,
          Optional.empty(),
          "the message is larger than the limit of "
              + config.server().maxBodyBytes()
              + " bytes (server.maxBodySize)");
      return;
    }
    fragments.append(text);
    if (!last) {
      return;
    }
    String message = fragments.toString();
    fragments.setLength(0);
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(message);
    } catch (JsonProcessingException e) {
      error(session, Optional.empty(), "the message is not valid JSON: " + e.getOriginalMessage());
      return;
    }
    Optional<JsonNode> ref = Optional.ofNullable(json.get("ref"));
    if (!json.isObject() || !json.has("publish")) {
      error(session, ref, "send {\"publish\": {...}} with the event as a JSON object");
      return;
    }
    if (!(json.get("publish") instanceof ObjectNode event)) {
      error(
          session,
          ref,
          "\"publish\" must be a JSON object, but was "
              + json.get("publish").getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
      return;
    }
    try {
      EventBodies.checkDepth(event, "\"publish\"");
      Optional<String> key =
          Optional.ofNullable(json.get("key")).filter(JsonNode::isTextual).map(JsonNode::textValue);
      if (key.isPresent() && !key.get().matches("[\\x21-\\x7e]{1,255}")) {
        error(session, ref, "\"key\" must be 1 to 255 visible ASCII characters");
        return;
      }
      String id = publisher.publish(stream, List.of(event), key).getFirst();
      ObjectNode answer = Json.object();
      answer.put("published", id);
      ref.ifPresent(r -> answer.set("ref", r));
      send(session, Json.write(answer));
    } catch (StoreUnavailableException e) {
      error(session, ref, ProblemResponses.storeUnavailable(e));
    } catch (HeraldException e) {
      error(session, ref, e.getMessage());
    }
  }

  private void error(WsSession session, Optional<JsonNode> ref, String detail) {
    ObjectNode error = Json.object();
    error.put("error", detail);
    ref.ifPresent(r -> error.set("ref", r));
    send(session, Json.write(error));
  }

  private void send(WsSession session, String text) {
    sending.lock();
    try {
      session.send(text, true);
    } finally {
      sending.unlock();
    }
  }

  /**
   * Sends the events as one socket write (of one message each), see {@link CoalescingWsUpgrader}.
   */
  private void send(WsSession session, List<LiveEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    sending.lock();
    try {
      frames.hold();
      try {
        for (LiveEvent event : events) {
          session.send(event.json(), true);
        }
      } finally {
        frames.release();
      }
    } finally {
      sending.unlock();
    }
  }

  private void close(WsSession session, int code, String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    // a close reason holds at most 123 bytes
    String fitted =
        bytes.length <= 123 ? reason : new String(bytes, 0, 120, StandardCharsets.UTF_8) + "...";
    sending.lock();
    try {
      session.close(code, fitted);
    } catch (RuntimeException e) {
      LOG.debug("closing a WebSocket of {} failed: {}", stream, e.toString());
    } finally {
      sending.unlock();
    }
  }

  @Override
  public void onClose(WsSession session, int status, String reason) {
    stop();
  }

  @Override
  public void onError(WsSession session, Throwable t) {
    LOG.debug("WebSocket of {} failed: {}", stream, t.toString());
    stop();
  }

  private void stop() {
    Subscription current = subscription;
    if (current != null) {
      current.close();
    }
    Thread thread = pump;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
