package dev.herald.imports;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of an uploaded file, read from a stream without holding the file: LF or CRLF endings,
 * with or without a newline after the last line, a UTF-8 byte order mark skipped. What is not text
 * in the declared encoding stops the reading with the line it is on: bytes the encoding does not
 * have (Latin-1 read as UTF-8), a NUL byte (binary data), a line longer than the limit.
 *
 * <p>Thread ownership: one reader per thread.
 */
public final class LineReader {

  /** The longest line read, in bytes: a longer one is not a line of a text file. */
  public static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

  private final InputStream in;
  private final CharsetDecoder decoder;
  private final Charset charset;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[64 * 1024];
  private int position;
  private int limit;
  private byte[] line = new byte[256];
  private long number;
  private boolean ended;

  public LineReader(InputStream in, Charset charset, int maxLineBytes) {
    this.in = in;
    this.charset = charset;
    this.decoder =
        charset
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    this.maxLineBytes = maxLineBytes;
  }

  public LineReader(InputStream in) {
    this(in, StandardCharsets.UTF_8, DEFAULT_MAX_LINE_BYTES);
  }

  /** The number of the line {@link #next} returned last, 1 for the first. */
  public long lineNumber() {
    return number;
  }

  /**
   * The next line without its ending, or null at the end of the file.
   *
   * @throws InvalidFileException naming the line when it is not text in the encoding
   */
  public String next() {
    if (ended) {
      return null;
    }
    int length = 0;
    boolean any = false;
    while (true) {
      if (position == limit && !fill()) {
        ended = true;
        if (!any) {
          return null; // the file ended with a newline, or is empty
        }
        break;
      }
      byte b = buffer[position++];
      any = true;
      if (b == '\n') {
        break;
      }
      if (b == 0) {
        number++;
        throw new InvalidFileException(
            number, "holds a NUL byte: this is binary data, not a text file");
      }
      if (length == maxLineBytes) {
        number++;
        throw new InvalidFileException(
            number, "is longer than " + maxLineBytes + " bytes: this is not a line of a text file");
      }
      if (length == line.length) {
        line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
      }
      line[length++] = b;
    }
    number++;
    if (length > 0 && line[length - 1] == '\r') {
      length--;
    }
    int start = 0;
    if (number == 1
        && charset.equals(StandardCharsets.UTF_8)
        && length >= 3
        && (line[0] & 0xFF) == 0xEF
        && (line[1] & 0xFF) == 0xBB
        && (line[2] & 0xFF) == 0xBF) {
      start = 3; // a byte order mark
    }
    try {
      return decoder.decode(ByteBuffer.wrap(line, start, length - start)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidFileException(
          number,
          "is not "
              + charset.name()
              + " text (a byte the encoding does not have: a file saved as Latin-1 needs the"
              + " importer's encoding: ISO-8859-1)");
    }
  }

  private boolean fill() {
    try {
      int read = in.read(buffer);
      if (read <= 0) {
        return false;
      }
      position = 0;
      limit = read;
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
