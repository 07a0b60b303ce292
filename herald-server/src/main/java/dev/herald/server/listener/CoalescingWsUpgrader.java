package dev.herald.server.listener;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsUpgrader;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsSession;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * Helidon's WebSocket upgrader, with one addition: a sender can write several frames to a
 * connection as one socket write. Helidon writes each frame to the socket as it is sent; a live
 * subscriber that takes ten events from its feed at once would make ten write calls, and with a
 * thousand subscribers those calls were most of the server's kernel time (5.0 million writes for
 * 5.0 million WebSocket deliveries, against 0.9 million for as many server-sent-event deliveries,
 * which go out one write per batch).
 *
 * <p>A connection's listener takes its {@link Frames} in {@code onOpen}. Frames that the thread
 * holding them sends are collected and written on {@link Frames#release()} (or once they pass
 * {@value #FLUSH_BYTES} bytes); frames sent by other threads meanwhile (Helidon answering a ping)
 * are written at once, as before. Whoever holds must keep other threads from sending on the
 * connection until it releases, as for any send.
 */
public final class CoalescingWsUpgrader extends WsUpgrader {

  static final int FLUSH_BYTES = 64 * 1024;

  /**
   * Frames of connections upgraded but not yet opened: their listeners take them in onOpen. Weak,
   * because Helidon does not open a connection it refuses for its concurrency limit, and such an
   * entry would otherwise stay forever.
   */
  private static final Map<WsSession, Frames> UNCLAIMED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final OriginPolicy origins;

  private CoalescingWsUpgrader(WsConfig config, OriginPolicy origins) {
    super(config);
    this.origins = origins;
  }

  /**
   * An upgrader with Helidon's default WebSocket settings (its frame size limit), for pages of the
   * allowed origins.
   */
  public static CoalescingWsUpgrader create(OriginPolicy origins) {
    return new CoalescingWsUpgrader(WsConfig.builder().build(), origins);
  }

  @Override
  public ServerConnection upgrade(
      ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
    Optional<String> origin = headers.first(HeaderNames.ORIGIN);
    if (origin.isPresent() && !origins.allows(origin.get(), headers.first(HeaderNames.HOST))) {
      throw RequestException.builder()
          .type(DirectHandler.EventType.FORBIDDEN)
          .status(Status.FORBIDDEN_403)
          .safeMessage(true)
          .message(
              "a WebSocket from a page of origin '"
                  + origin.get()
                  + "' is refused: "
                  + origins.describe())
          .build();
    }
    CoalescingContext coalescing = new CoalescingContext(ctx);
    ServerConnection connection = super.upgrade(coalescing, prologue, headers);
    if (connection instanceof WsSession session) {
      UNCLAIMED.put(session, coalescing.frames);
      return new GuardedWs(connection, session, coalescing.frames);
    }
    return connection;
  }

  /**
   * The WebSocket connection, closed with 1002 on a frame it cannot read, and reported when it
   * ends.
   */
  private static final class GuardedWs extends ForwardingServerConnection {
    private final WsSession session;
    private final Frames frames;

    GuardedWs(ServerConnection connection, WsSession session, Frames frames) {
      super(connection);
      this.session = session;
      this.frames = frames;
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
      try {
        super.handle(limit);
      } catch (IllegalArgumentException unreadable) {
        // Helidon's frame reader refuses reserved opcodes this way
        try {
          session.close(
              WsCloseCodes.PROTOCOL_ERROR, "protocol error: a frame with a reserved opcode");
        } catch (RuntimeException e) {
          // the peer is gone
        }
        throw new CloseConnectionException("WebSocket frame with a reserved opcode", unreadable);
      } finally {
        frames.ended();
      }
    }
  }

  /**
   * The frames of a session, for its listener to call in {@code onOpen}, once; for a session
   * upgraded by another upgrader, frames whose hold and release change nothing.
   */
  public static Frames frames(WsSession session) {
    Frames frames = UNCLAIMED.remove(session);
    return frames == null ? Frames.DIRECT : frames;
  }

  /** A connection's writer: frames sent by the thread that holds it are written together. */
  public static final class Frames implements DataWriter {

    private static final Frames DIRECT = new Frames(null);

    private final DataWriter socket;
    private volatile Thread holder;
    private volatile Runnable onEnd = () -> {};
    // not a growing BufferData: in Helidon 4.3.1 it loses bytes written as BufferData when it grows
    private byte[] bytes = new byte[4096];
    private int size;

    private Frames(DataWriter socket) {
      this.socket = socket;
    }

    /**
     * Registers what to run once the connection has ended, however it ended (a close frame, a read
     * failing, the idle timeout): the listener hears of the last only this way.
     */
    public void onEnd(Runnable action) {
      if (socket != null) {
        onEnd = action;
      }
    }

    void ended() {
      onEnd.run();
    }

    /** Collects the frames this thread sends from now on, until {@link #release()}. */
    public void hold() {
      if (socket != null) {
        holder = Thread.currentThread();
      }
    }

    /** Writes the frames collected since {@link #hold()} and stops collecting. */
    public void release() {
      try {
        writeCollected();
      } finally {
        holder = null;
      }
    }

    @Override
    public void writeNow(BufferData buffer) {
      if (holder != Thread.currentThread()) {
        socket.writeNow(buffer);
        return;
      }
      int length = buffer.available();
      if (size + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
      }
      size += buffer.read(bytes, size, length);
      if (size >= FLUSH_BYTES) {
        writeCollected();
      }
    }

    @Override
    public void writeNow(BufferData... buffers) {
      writeNow(BufferData.create(buffers));
    }

    @Override
    public void write(BufferData... buffers) {
      socket.write(buffers);
    }

    @Override
    public void write(BufferData buffer) {
      socket.write(buffer);
    }

    /** Called by the holder only. */
    private void writeCollected() {
      if (size > 0) {
        try {
          socket.writeNow(BufferData.create(bytes, 0, size));
        } finally {
          size = 0;
        }
      }
    }

    @Override
    public void flush() {
      socket.flush();
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  /** The connection's context with its writer replaced; everything else is the original's. */
  private static final class CoalescingContext extends ForwardingConnectionContext {

    private final Frames frames;

    CoalescingContext(ConnectionContext ctx) {
      super(ctx);
      this.frames = new Frames(ctx.dataWriter());
    }

    @Override
    public DataWriter dataWriter() {
      return frames;
    }
  }
}
