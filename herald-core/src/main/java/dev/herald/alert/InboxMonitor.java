package dev.herald.alert;

import dev.herald.agent.Agent;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Raises a {@code stale-inbox} alert for each inbox whose oldest pending item waited longer than
 * its rule's {@code staleAfter}, and resolves it once the inbox is pulled or cleaned. Before each
 * check it gives back the items of pulls whose reservation ended unacknowledged, so they count as
 * pending (and stale, if nobody pulls them again). A check asks the store's index of oldest-pending
 * times for stale inboxes only, so it costs the same with a thousand inboxes or a million.
 *
 * <p>The monitor compares the store with the board on every check rather than reacting to pulls, so
 * an alert missed by a crash (or raised by another process) converges on the next check.
 *
 * <p>Thread ownership: {@link #doWork()} is called by one runner thread; {@link #checkSoon()} by
 * any.
 */
public final class InboxMonitor implements Agent {

  /**
   * At most this many new stale inboxes are alerted per check and rule; the rest on the next ones.
   */
  public static final int CHECK_LIMIT = 1000;

  /**
   * At most this many ended reservations are released per check and rule; the rest on the next
   * ones.
   */
  static final int RELEASE_LIMIT = 1000;

  /** At most this many stale inboxes are read per check and rule. */
  static final int READ_LIMIT = 100_000;

  private final InboxStore store;
  private final List<InboxRule> rules;
  private final AlertBoard board;
  private final InstantSource clock;
  private final Duration checkEvery;
  private final AtomicBoolean requested = new AtomicBoolean();
  private Instant nextCheck = Instant.MIN;
  private volatile long lastCheckNanos;

  public InboxMonitor(
      InboxStore store,
      List<InboxRule> rules,
      AlertBoard board,
      InstantSource clock,
      Duration checkEvery) {
    this.store = Objects.requireNonNull(store, "store");
    this.rules = List.copyOf(rules);
    this.board = Objects.requireNonNull(board, "board");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.checkEvery = Objects.requireNonNull(checkEvery, "checkEvery");
  }

  /** Makes the next {@link #doWork()} check at once, e.g. after a pull. */
  public void checkSoon() {
    requested.set(true);
  }

  /** How long the last check took, for metrics. */
  public long lastCheckNanos() {
    return lastCheckNanos;
  }

  @Override
  public int doWork() {
    Instant now = clock.instant();
    if (now.isBefore(nextCheck) && !requested.getAndSet(false)) {
      return 0;
    }
    nextCheck = now.plus(checkEvery);
    long start = System.nanoTime();
    int changes = 0;
    for (InboxRule rule : rules) {
      changes += store.releaseExpired(rule.name(), now, RELEASE_LIMIT);
      changes += check(rule, now);
    }
    lastCheckNanos = System.nanoTime() - start;
    return changes;
  }

  /** Runs one check of {@code rule} now; returns how many alerts it raised or resolved. */
  public int check(InboxRule rule, Instant now) {
    Instant cutoff = now.minus(rule.staleAfter());
    // the index alone tells which inboxes are stale; only those not alerted yet need a summary
    // for the alert's detail, so a check among many inboxes already alerted stays cheap
    List<String> stale = store.staleRecipients(rule.name(), cutoff, READ_LIMIT);
    Set<String> staleSubjects = new HashSet<>();
    int changes = 0;
    int raised = 0;
    for (String recipient : stale) {
      String subject = subject(rule, recipient);
      staleSubjects.add(subject);
      if (raised < CHECK_LIMIT && board.active(Alert.STALE_INBOX, subject).isEmpty()) {
        Optional<InboxSummary> summary = store.summary(rule.name(), recipient);
        if (!stale(summary, cutoff)) {
          continue; // pulled or cleaned since the index was read
        }
        board.raise(Alert.STALE_INBOX, subject, describe(rule, summary.get(), now));
        raised++;
        changes++;
      }
    }
    String prefix = rule.name() + "/";
    for (Alert alert : board.active(Alert.STALE_INBOX)) {
      if (!alert.subject().startsWith(prefix) || staleSubjects.contains(alert.subject())) {
        continue;
      }
      String recipient = alert.subject().substring(prefix.length());
      Optional<InboxSummary> inbox = store.summary(rule.name(), recipient);
      if (!stale(inbox, cutoff)) {
        String why =
            inbox.isEmpty()
                ? "inbox " + alert.subject() + " was cleaned"
                : inbox
                    .get()
                    .lastPulledAt()
                    .map(at -> "inbox " + alert.subject() + " was pulled at " + at)
                    .orElse(
                        "inbox "
                            + alert.subject()
                            + " has no item pending for longer than "
                            + rule.staleAfter());
        board.resolve(Alert.STALE_INBOX, alert.subject(), why);
        changes++;
      }
    }
    return changes;
  }

  /** Whether the inbox has an item pending since {@code cutoff} or before. */
  private static boolean stale(Optional<InboxSummary> inbox, Instant cutoff) {
    return inbox
        .flatMap(InboxSummary::oldestPendingAt)
        .map(at -> !at.isAfter(cutoff))
        .orElse(false);
  }

  public static String subject(InboxRule rule, String recipient) {
    return rule.name() + "/" + recipient;
  }

  private static String describe(InboxRule rule, InboxSummary inbox, Instant now) {
    Instant oldest = inbox.oldestPendingAt().orElse(now);
    return "inbox "
        + subject(rule, inbox.recipient())
        + " has "
        + inbox.pending()
        + " pending item(s), the oldest waiting since "
        + oldest
        + " ("
        + Duration.between(oldest, now).toSeconds()
        + " s, longer than staleAfter "
        + rule.staleAfter()
        + "); last pulled "
        + inbox.lastPulledAt().map(Instant::toString).orElse("never");
  }

  @Override
  public String roleName() {
    return "herald-inbox-monitor";
  }
}
