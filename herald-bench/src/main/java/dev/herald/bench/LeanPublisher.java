package dev.herald.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A publisher for the live benchmark with just enough protocol to send one message and wait for
 * the server's answer, on one blocking keep-alive socket, the same way for every design: an HTTP/1.1
 * {@code POST} answered 201 once Herald stored the message, or a Redis {@code PUBLISH} answered with
 * the number of receivers. Like {@link LeanSubscribers}, it keeps a client library's threads and
 * hand-offs out of the latency measured on two shared cores.
 *
 * <p>Thread ownership: used by one thread at a time.
 */
final class LeanPublisher implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private final byte[] requestHead;
  private final boolean http;

  private LeanPublisher(Socket socket, byte[] requestHead, boolean http) throws IOException {
    this.socket = socket;
    socket.setTcpNoDelay(true);
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream(), 8 * 1024);
    this.requestHead = requestHead;
    this.http = http;
  }

  /** Publishes with {@code POST path} (JSON bodies) on a keep-alive connection. */
  static LeanPublisher http(String host, int port, String path) throws IOException {
    String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: application/json\r\nContent-Length: ";
    return new LeanPublisher(new Socket(host, port), head.getBytes(StandardCharsets.US_ASCII), true);
  }

  /** Publishes with {@code PUBLISH channel} on database {@code db}. */
  static LeanPublisher redis(String host, int port, int db, String channel) throws IOException {
    LeanPublisher publisher = new LeanPublisher(new Socket(host, port), channel.getBytes(StandardCharsets.UTF_8), false);
    publisher.out.write(resp("SELECT".getBytes(StandardCharsets.US_ASCII), Integer.toString(db).getBytes(StandardCharsets.US_ASCII)));
    publisher.out.flush();
    String answer = readLine(publisher.in);
    if (!answer.equals("+OK")) {
      publisher.close();
      throw new IOException("SELECT " + db + " answered " + answer);
    }
    return publisher;
  }

  /** Sends {@code message} and returns once the server answered; fails unless it took it. */
  void publish(String message) throws IOException {
    byte[] body = message.getBytes(StandardCharsets.UTF_8);
    if (http) {
      byte[] length = (body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      byte[] request = java.util.Arrays.copyOf(requestHead, requestHead.length + length.length + body.length);
      System.arraycopy(length, 0, request, requestHead.length, length.length);
      System.arraycopy(body, 0, request, requestHead.length + length.length, body.length);
      out.write(request); // one segment
      out.flush();
      readResponse();
    } else {
      out.write(resp("PUBLISH".getBytes(StandardCharsets.US_ASCII), requestHead, body));
      out.flush();
      String answer = readLine(in);
      if (!answer.startsWith(":")) {
        throw new IOException("PUBLISH answered " + answer);
      }
    }
  }

  private void readResponse() throws IOException {
    String status = readLine(in);
    if (!status.startsWith("HTTP/1.1 201")) {
      throw new IOException("publish answered " + status);
    }
    int length = -1;
    boolean chunked = false;
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(lower.substring(15).strip());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      for (int size = Integer.parseInt(readLine(in).split(";")[0], 16); size > 0; size = Integer.parseInt(readLine(in).split(";")[0], 16)) {
        in.readNBytes(size);
        readLine(in);
      }
      readLine(in); // the empty line after the last chunk
    } else if (length > 0) {
      in.readNBytes(length);
    }
  }

  private static byte[] resp(byte[]... words) {
    java.io.ByteArrayOutputStream command = new java.io.ByteArrayOutputStream();
    command.writeBytes(("*" + words.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] word : words) {
      command.writeBytes(("$" + word.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      command.writeBytes(word);
      command.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return command.toByteArray();
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new java.io.EOFException("the server closed the connection");
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
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
