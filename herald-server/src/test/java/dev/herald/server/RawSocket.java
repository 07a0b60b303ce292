package dev.herald.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client connection that sends exactly the bytes a test gives, for requests no HTTP client would
 * send.
 */
public final class RawSocket implements AutoCloseable {

  private final Socket socket;

  public RawSocket(int port) {
    socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public RawSocket send(String text) {
    try {
      socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public RawSocket send(byte[] bytes) {
    try {
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Everything the server sends until it closes the connection, or until {@code timeout} passes.
   */
  public String readUntilClosed(Duration timeout) {
    StringBuilder text = new StringBuilder();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        int n;
        try {
          n = in.read(buffer);
        } catch (SocketTimeoutException e) {
          break;
        }
        if (n < 0) {
          return text.toString();
        }
        text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
      }
      throw new AssertionError(
          "the server did not close the connection within " + timeout + "; it sent: " + text);
    } catch (IOException e) {
      // a reset after the answer counts as closed
      return text.toString();
    }
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
