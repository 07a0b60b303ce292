package dev.herald.server.listener;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * A connection's context that forwards everything to Helidon's, for subclasses that change one part
 * of it (the writer of a WebSocket, the state a guard keeps per connection).
 */
public abstract class ForwardingConnectionContext implements ConnectionContext {

  private final ConnectionContext ctx;

  protected ForwardingConnectionContext(ConnectionContext ctx) {
    this.ctx = Objects.requireNonNull(ctx, "ctx");
  }

  @Override
  public DataWriter dataWriter() {
    return ctx.dataWriter();
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
