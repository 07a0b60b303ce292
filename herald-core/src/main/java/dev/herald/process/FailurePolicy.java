package dev.herald.process;

import dev.herald.log.Event;
import dev.herald.retry.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What every stream processor does with an event it cannot process: how it is retried, where it
 * goes when it is given up (its consumer's dead-letter stream), and who is told.
 *
 * @param retry the tries of a failing event and the waits between them
 * @param deadLetters dead-letter streams by consumer group; a group not named here writes to {@code
 *     <stream>.dead}
 * @param listener told of retries and dead letters, e.g. for metrics
 */
public record FailurePolicy(
    RetryPolicy retry, Map<String, String> deadLetters, FailureListener listener) {

  public static final String DEAD_LETTER_SUFFIX = ".dead";

  public FailurePolicy {
    Objects.requireNonNull(retry, "retry");
    deadLetters = Map.copyOf(Objects.requireNonNull(deadLetters, "deadLetters"));
    Objects.requireNonNull(listener, "listener");
  }

  /** The default policy, telling no one. */
  public static FailurePolicy defaults() {
    return new FailurePolicy(RetryPolicy.PROCESSING, Map.of(), FailureListener.NONE);
  }

  public FailurePolicy withListener(FailureListener listener) {
    return new FailurePolicy(retry, deadLetters, listener);
  }

  /** The stream where {@code group}, reading {@code stream}, puts what it gives up. */
  public String deadLetterStream(String group, String stream) {
    return deadLetters.getOrDefault(group, stream + DEAD_LETTER_SUFFIX);
  }

  /** Observes failures; called on the processor's thread, so it must return at once. */
  public interface FailureListener {
    FailureListener NONE = new FailureListener() {};

    /**
     * The {@code attempt}-th try of {@code event} failed; it is tried again after {@code delay}.
     */
    default void onRetry(
        String group, Event event, int attempt, Duration delay, RuntimeException cause) {}

    /** {@code event} was written to {@code deadLetterStream} and acknowledged. */
    default void onDeadLettered(
        String group, Event event, String reason, int attempts, String deadLetterStream) {}
  }
}
