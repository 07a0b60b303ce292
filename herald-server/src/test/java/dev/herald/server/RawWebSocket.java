package dev.herald.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client that writes frames byte by byte, for frames and behaviours no library client
 * would produce: reserved opcodes, binary messages, a client that never answers pings.
 */
public final class RawWebSocket implements AutoCloseable {

  /** A frame from the server. */
  public record Frame(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The status code of a close frame. */
    public int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    public String closeReason() {
      return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    }
  }

  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  private final Socket socket;
  private final DataInputStream in;
  private final String handshake;

  private RawWebSocket(Socket socket, DataInputStream in, String handshake) {
    this.socket = socket;
    this.in = in;
    this.handshake = handshake;
  }

  /**
   * Opens {@code path} with an optional {@code Origin}; the handshake answer is in {@link
   * #handshake()}.
   */
  public static RawWebSocket open(int port, String path, Optional<String> origin) {
    try {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout(10_000);
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1:"
              + port
              + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              + origin.map(o -> "Origin: " + o + "\r\n").orElse("")
              + "\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      return new RawWebSocket(socket, in, readHead(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  /** The server's answer to the upgrade request, up to the blank line. */
  public String handshake() {
    return handshake;
  }

  /** The rest of the server's answer when it refused the upgrade (its body). */
  public String rest(int bytes) {
    try {
      return new String(in.readNBytes(bytes), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends one final, masked frame. */
  public RawWebSocket send(int opcode, byte[] payload) {
    try {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      frame.write(0x80 | opcode);
      if (payload.length < 126) {
        frame.write(0x80 | payload.length);
      } else {
        frame.write(0x80 | 126);
        frame.write(payload.length >>> 8);
        frame.write(payload.length & 0xff);
      }
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      frame.write(mask);
      for (int i = 0; i < payload.length; i++) {
        frame.write(payload[i] ^ mask[i % 4]);
      }
      socket.getOutputStream().write(frame.toByteArray());
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public RawWebSocket sendText(String text) {
    return send(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The next frame from the server, or empty when the connection ended first. */
  public Optional<Frame> next(Duration timeout) {
    try {
      socket.setSoTimeout((int) timeout.toMillis());
      int first = in.read();
      if (first < 0) {
        return Optional.empty();
      }
      int second = in.readUnsignedByte();
      long length = second & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return Optional.of(new Frame(first & 0x0f, payload));
    } catch (EOFException | SocketTimeoutException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // reset
    }
  }

  /**
   * The next frame of the given opcode, skipping others (events, pings), or empty when none came.
   */
  public Optional<Frame> next(int opcode, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Frame> frame =
          next(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
      if (frame.isEmpty()) {
        return frame;
      }
      if (frame.get().opcode() == opcode) {
        return frame;
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the server closed the connection within {@code timeout}, reading (and dropping) what it
   * sent.
   */
  public boolean closedWithin(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (in.read() < 0) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
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
