package dev.herald.server.http;

import dev.herald.HeraldException;

/**
 * A request Herald refuses, with the HTTP status and the sentence that says why. Rendered as {@code
 * application/problem+json} by {@link ProblemResponses}.
 */
public final class ProblemException extends HeraldException {

  private final int status;
  private final String type;

  public ProblemException(int status, String type, String detail) {
    super(detail);
    this.status = status;
    this.type = type;
  }

  public int status() {
    return status;
  }

  /** A short slug naming the kind of problem, e.g. {@code unknown-stream}. */
  public String type() {
    return type;
  }

  public static ProblemException badRequest(String detail) {
    return new ProblemException(400, "bad-request", detail);
  }

  public static ProblemException notFound(String type, String detail) {
    return new ProblemException(404, type, detail);
  }
}
