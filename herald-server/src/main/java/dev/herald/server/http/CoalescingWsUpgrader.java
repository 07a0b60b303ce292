package dev.herald.server.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsUpgrader;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Helidon's WebSocket upgrader, with one addition: a thread can send several frames to a
 * connection as one socket write. Helidon writes each frame to the socket as it is sent; a live
 * subscriber that takes ten events from its feed at once would make ten write calls, and with a
 * thousand subscribers those calls were most of the server's kernel time (5.0 million writes for
 * 5.0 million WebSocket deliveries, against 0.9 million for as many server-sent-event deliveries,
 * which go out one write per batch).
 *
 * <p>Frames sent while the sending thread holds a {@link #batch()} are collected and written when
 * the batch closes (or grows past {@value #FLUSH_BYTES} bytes); frames sent outside a batch, or by
 * other threads meanwhile, are written at once as before. Whoever batches must keep other threads
 * from sending on the same connection until the batch is closed, as for any send.
 */
public final class CoalescingWsUpgrader extends WsUpgrader {

  static final int FLUSH_BYTES = 64 * 1024;
  private static final ThreadLocal<Batch> CURRENT = new ThreadLocal<>();

  private CoalescingWsUpgrader(WsConfig config) {
    super(config);
  }

  /** An upgrader with Helidon's default WebSocket settings (any origin, its frame size limit). */
  public static CoalescingWsUpgrader create() {
    return new CoalescingWsUpgrader(WsConfig.builder().build());
  }

  @Override
  public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
    return super.upgrade(new CoalescingContext(ctx), prologue, headers);
  }

  /**
   * Starts collecting the frames this thread sends on connections of this upgrader; closing the
   * batch writes them. On a connection of another upgrader it changes nothing.
   */
  static Batch batch() {
    if (CURRENT.get() != null) {
      throw new IllegalStateException("a batch of WebSocket frames is already open on this thread");
    }
    Batch batch = new Batch();
    CURRENT.set(batch);
    return batch;
  }

  /** The frames one thread sends until it closes the batch. */
  static final class Batch implements AutoCloseable {

    // not a growing BufferData: in Helidon 4.3.1 it loses bytes written as BufferData when it grows
    private byte[] bytes = new byte[4096];
    private int size;
    private DataWriter socket;

    private void add(DataWriter target, BufferData frame) {
      if (socket != null && socket != target) {
        flush(); // frames for another connection: the ones held go out first
      }
      socket = target;
      int length = frame.available();
      if (size + length > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
      }
      size += frame.read(bytes, size, length);
      if (size >= FLUSH_BYTES) {
        flush();
      }
    }

    private void flush() {
      try {
        if (socket != null && size > 0) {
          socket.writeNow(BufferData.create(bytes, 0, size));
        }
      } finally {
        size = 0;
      }
    }

    /** Writes the frames held. */
    @Override
    public void close() {
      try {
        flush();
      } finally {
        CURRENT.remove();
      }
    }
  }

  /** The connection's writer: a frame sent inside a batch goes to the batch. */
  private record CoalescingWriter(DataWriter socket) implements DataWriter {

    @Override
    public void write(BufferData... buffers) {
      socket.write(buffers);
    }

    @Override
    public void write(BufferData buffer) {
      socket.write(buffer);
    }

    @Override
    public void writeNow(BufferData... buffers) {
      writeNow(BufferData.create(buffers));
    }

    @Override
    public void writeNow(BufferData buffer) {
      Batch batch = CURRENT.get();
      if (batch == null) {
        socket.writeNow(buffer);
      } else {
        batch.add(socket, buffer);
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
  private static final class CoalescingContext implements ConnectionContext {

    private final ConnectionContext ctx;
    private final CoalescingWriter writer;

    CoalescingContext(ConnectionContext ctx) {
      this.ctx = ctx;
      this.writer = new CoalescingWriter(ctx.dataWriter());
    }

    @Override
    public DataWriter dataWriter() {
      return writer;
    }

    @Override
    public ListenerContext listenerContext() {
      return ctx.listenerContext();
    }

    @Override
    public ExecutorService executor() {
      return ctx.executor();
    }

    @Override
    public DataReader dataReader() {
      return ctx.dataReader();
    }

    @Override
    public Router router() {
      return ctx.router();
    }

    @Override
    public Optional<ProxyProtocolData> proxyProtocolData() {
      return ctx.proxyProtocolData();
    }

    @Override
    public HelidonSocket serverSocket() {
      return ctx.serverSocket();
    }

    @Override
    public PeerInfo remotePeer() {
      return ctx.remotePeer();
    }

    @Override
    public PeerInfo localPeer() {
      return ctx.localPeer();
    }

    @Override
    public boolean isSecure() {
      return ctx.isSecure();
    }

    @Override
    public String socketId() {
      return ctx.socketId();
    }

    @Override
    public String childSocketId() {
      return ctx.childSocketId();
    }
  }
}
