package dev.herald.imports;

import dev.herald.HeraldException;

/** A file an importer cannot read at all, with the line where it stopped (1 for the first). */
public final class InvalidFileException extends HeraldException {

  private final long line;

  public InvalidFileException(long line, String message) {
    super("line " + line + ": " + message);
    this.line = line;
  }

  /** The line the problem is on, 1 for the first. */
  public long line() {
    return line;
  }
}
