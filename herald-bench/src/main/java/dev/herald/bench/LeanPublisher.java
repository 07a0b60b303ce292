package dev.herald.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A publisher for the live benchmark with just enough protocol to send one message and wait for the
 * server's answer, on one blocking keep-alive socket, the same way for every design: an HTTP/1.1
 * {@code POST} answered 201 once Herald stored the message, or a Redis {@code PUBLISH} answered
 * with the number of receivers. Like {@link LeanSubscribers} (whose protocol helpers it uses), it
 * keeps a client library's threads and hand-offs out of the latency measured on two shared cores.
 *
 * <p>Thread ownership: used by one thread at a time.
 */
final class LeanPublisher implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  /** HTTP: the request up to the Content-Length value; Redis: null. */
  private final String requestHead;

  /** Redis: the channel; HTTP: null. */
  private final String channel;

  private LeanPublisher(Socket socket, String requestHead, String channel) throws IOException {
    this.socket = socket;
    socket.setTcpNoDelay(true);
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream(), 8 * 1024);
    this.requestHead = requestHead;
    this.channel = channel;
  }

  /** Publishes with {@code POST path} (JSON bodies) on a keep-alive connection. */
  static LeanPublisher http(String host, int port, String path) throws IOException {
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + host
            + ":"
            + port
            + "\r\nContent-Type: application/json\r\nContent-Length: ";
    return new LeanPublisher(new Socket(host, port), head, null);
  }

  /** Publishes with {@code PUBLISH channel} on database {@code db}. */
  static LeanPublisher redis(String host, int port, int db, String channel) throws IOException {
    LeanPublisher publisher = new LeanPublisher(new Socket(host, port), null, channel);
    publisher.out.write(LeanSubscribers.resp("SELECT", Integer.toString(db)));
    publisher.out.flush();
    String answer = LeanSubscribers.readLine(publisher.in);
    if (!answer.equals("+OK")) {
      publisher.close();
      throw new IOException("SELECT " + db + " answered " + answer);
    }
    return publisher;
  }

  /** Sends {@code message} and returns once the server answered; fails unless it took it. */
  void publish(String message) throws IOException {
    if (channel != null) {
      out.write(LeanSubscribers.resp("PUBLISH", channel, message));
      out.flush();
      String answer = LeanSubscribers.readLine(in);
      if (!answer.startsWith(":")) {
        throw new IOException("PUBLISH answered " + answer);
      }
      return;
    }
    byte[] body = message.getBytes(StandardCharsets.UTF_8);
    out.write(
        (requestHead + body.length + "\r\n\r\n" + message)
            .getBytes(StandardCharsets.UTF_8)); // one segment
    out.flush();
    String head = LeanSubscribers.readHeaders(in, "201");
    int at = head.indexOf("content-length:");
    if (at < 0) {
      throw new IOException("the answer to a publish has no Content-Length: " + head);
    }
    in.readNBytes(Integer.parseInt(head.substring(at + 15, head.indexOf('\n', at)).strip()));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
