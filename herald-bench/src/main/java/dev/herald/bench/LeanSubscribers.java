package dev.herald.bench;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Subscribers for the live benchmark that cost the benchmark's JVM as little as possible, the same
 * way for every design: one blocking socket per subscriber read by a virtual thread, with just
 * enough protocol to take each message out (server-sent events over chunked HTTP/1.1, WebSocket
 * text frames, Redis Pub/Sub pushes). On two cores the subscribers share the CPU with the server
 * they measure, so a heavy client would show up as the server's latency.
 */
final class LeanSubscribers {

  private LeanSubscribers() {}

  /** An open subscriber; closing it closes its socket and ends its reader. */
  interface Connection extends AutoCloseable {
    @Override
    void close();
  }

  /** {@code GET path} as server-sent events; every {@code data:} line goes to {@code onData}. */
  static Connection sse(String host, int port, String path, Consumer<String> onData)
      throws IOException {
    Socket socket = new Socket(host, port);
    socket.setTcpNoDelay(true);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: "
                + host
                + ":"
                + port
                + "\r\nAccept: text/event-stream\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    boolean chunked = readHeaders(in, "200").contains("transfer-encoding: chunked");
    BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(chunked ? new ChunkedInput(in) : in, StandardCharsets.UTF_8));
    return reader(
        socket,
        () -> {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("data: ")) {
              onData.accept(line);
            }
          }
        });
  }

  /** A WebSocket on {@code path}; every text message goes to {@code onText}. */
  static Connection webSocket(String host, int port, String path, Consumer<String> onText)
      throws IOException {
    Socket socket = new Socket(host, port);
    socket.setTcpNoDelay(true);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: "
                + host
                + ":"
                + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(nonce)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    readHeaders(in, "101");
    return reader(
        socket,
        () -> {
          StringBuilder message = new StringBuilder();
          while (true) {
            int first = readByte(in);
            int second = readByte(in);
            long length = second & 0x7f;
            if (length == 126) {
              length = (readByte(in) << 8) | readByte(in);
            } else if (length == 127) {
              length = 0;
              for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte(in);
              }
            }
            byte[] payload = in.readNBytes((int) length);
            int opcode = first & 0x0f;
            if (opcode == 8) {
              return; // close
            }
            if (opcode == 9) {
              pong(
                  out,
                  payload); // the server closes a client that stays silent for its idle timeout
              continue;
            }
            if (opcode == 1 || opcode == 0) {
              message.append(new String(payload, StandardCharsets.UTF_8));
              if ((first & 0x80) != 0) {
                onText.accept(message.toString());
                message.setLength(0);
              }
            }
          }
        });
  }

  /** Answers a ping: a client's frames are masked (RFC 6455 section 5.3). */
  private static void pong(OutputStream out, byte[] payload) throws IOException {
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x8A;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    out.write(frame);
    out.flush();
  }

  /** A Redis connection subscribed to {@code channel}; every message goes to {@code onMessage}. */
  static Connection redisSubscriber(
      String host, int port, int db, String channel, Consumer<String> onMessage)
      throws IOException {
    Socket socket = new Socket(host, port);
    socket.setTcpNoDelay(true);
    OutputStream out = socket.getOutputStream();
    out.write(resp("SELECT", Integer.toString(db)));
    out.write(resp("SUBSCRIBE", channel));
    out.flush();
    InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    String selected = readLine(in);
    if (!selected.equals("+OK")) {
      socket.close();
      throw new IOException("SELECT " + db + " answered " + selected);
    }
    Object confirmation = readValue(in); // [subscribe, channel, 1]
    if (!(confirmation instanceof Object[] parts) || !"subscribe".equals(parts[0])) {
      socket.close();
      throw new IOException("SUBSCRIBE answered " + confirmation);
    }
    return reader(
        socket,
        () -> {
          while (true) {
            if (readValue(in) instanceof Object[] push
                && push.length == 3
                && "message".equals(push[0])) {
              onMessage.accept((String) push[2]);
            }
          }
        });
  }

  @FunctionalInterface
  private interface Loop {
    void run() throws IOException;
  }

  private static Connection reader(Socket socket, Loop loop) {
    Thread thread =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    loop.run();
                  } catch (IOException closed) {
                    // the run ended or the server went away
                  }
                });
    return () -> {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      thread.interrupt();
    };
  }

  /**
   * Reads a response head; returns it in lower case, failing unless the status is {@code status}.
   */
  static String readHeaders(InputStream in, String status) throws IOException {
    StringBuilder head = new StringBuilder();
    String statusLine = readLine(in);
    if (!statusLine.startsWith("HTTP/1.1 " + status)) {
      throw new IOException("expected " + status + " but the server answered " + statusLine);
    }
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      head.append(line.toLowerCase(Locale.ROOT)).append('\n');
    }
    return head.toString();
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = readByte(in); b != '\n'; b = readByte(in)) {
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  static byte[] resp(String... words) {
    StringBuilder command = new StringBuilder("*").append(words.length).append("\r\n");
    for (String word : words) {
      command
          .append('$')
          .append(word.getBytes(StandardCharsets.UTF_8).length)
          .append("\r\n")
          .append(word)
          .append("\r\n");
    }
    return command.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One RESP2 value: arrays as Object[], bulk and simple strings as String, integers as Long. */
  private static Object readValue(InputStream in) throws IOException {
    String line = readLine(in);
    return switch (line.charAt(0)) {
      case '*' -> {
        Object[] items = new Object[Integer.parseInt(line, 1, line.length(), 10)];
        for (int i = 0; i < items.length; i++) {
          items[i] = readValue(in);
        }
        yield items;
      }
      case '$' -> {
        int length = Integer.parseInt(line, 1, line.length(), 10);
        byte[] bytes = in.readNBytes(length);
        readLine(in);
        yield new String(bytes, StandardCharsets.UTF_8);
      }
      case ':' -> Long.parseLong(line, 1, line.length(), 10);
      case '-' -> throw new IOException("Redis answered " + line);
      default -> line.substring(1);
    };
  }

  /** The body of a chunked HTTP/1.1 response. */
  private static final class ChunkedInput extends InputStream {
    private final InputStream in;
    private int left;
    private boolean ended;

    ChunkedInput(InputStream in) {
      this.in = in;
    }

    private boolean nextChunk() throws IOException {
      while (left == 0 && !ended) {
        String size = readLine(in);
        if (size.isEmpty()) {
          continue; // the line break after the previous chunk
        }
        int semicolon = size.indexOf(';');
        left = Integer.parseInt(semicolon < 0 ? size : size.substring(0, semicolon), 16);
        ended = left == 0;
      }
      return !ended;
    }

    @Override
    public int read() throws IOException {
      if (!nextChunk()) {
        return -1;
      }
      left--;
      return in.read();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      if (!nextChunk()) {
        return -1;
      }
      int read = in.read(buffer, offset, Math.min(length, left));
      if (read < 0) {
        throw new EOFException();
      }
      left -= read;
      return read;
    }
  }
}
