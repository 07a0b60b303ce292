package dev.herald.server.store;

import dev.herald.Redaction;
import dev.herald.digest.DigestStore;
import dev.herald.inbox.InboxStore;
import dev.herald.log.EventLog;
import dev.herald.notify.NotificationStore;
import dev.herald.postgres.PostgresProvider;
import dev.herald.postgres.PostgresUrl;
import dev.herald.redis.RedisProvider;
import dev.herald.sqlite.SqliteProvider;
import dev.herald.store.Backend;
import dev.herald.store.BackendProvider;
import dev.herald.store.StoreSettings;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where store URLs become backends: the providers Herald has, in order, and the rules
 * for taking the event log from another store than the state ({@code log:}).
 */
public final class Backends {

  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

  private static final List<BackendProvider> PROVIDERS =
      List.of(new SqliteProvider(), new RedisProvider(), new PostgresProvider());

  private Backends() {}

  /** The provider of {@code url}, if any answers it. */
  public static Optional<BackendProvider> provider(String url) {
    return PROVIDERS.stream().filter(p -> p.accepts(url)).findFirst();
  }

  /**
   * The provider of {@code url}, or an {@link IllegalArgumentException} that lists what is
   * accepted.
   */
  public static BackendProvider require(String url) {
    return provider(url).orElseThrow(() -> new IllegalArgumentException(problem(url)));
  }

  /** What a URL that no provider answers is told. */
  public static String problem(String url) {
    return "a store is "
        + PROVIDERS.stream().flatMap(p -> p.forms().stream()).collect(Collectors.joining(" or "))
        + ", but was "
        + Redaction.redact(url);
  }

  /**
   * Refuses a {@code store.schema} that a relational store could not use as it is.
   *
   * @throws IllegalArgumentException saying which names are allowed
   */
  public static void checkSchema(String schema) {
    PostgresUrl.requireSchema(schema);
  }

  /** Whether every process of a deployment may share the store at {@code url}. */
  public static boolean shared(String url) {
    return require(url).shared();
  }

  /**
   * Refuses a pairing of an event log and state stores that cannot work, with the sentence that
   * says why; a log from the store itself always works.
   *
   * @throws IllegalArgumentException naming both and the reason
   */
  public static void checkPairing(String storeUrl, Optional<String> logUrl) {
    if (logUrl.isEmpty() || logUrl.get().equals(storeUrl)) {
      return;
    }
    BackendProvider state = require(storeUrl);
    BackendProvider log = require(logUrl.get());
    String pair =
        "log " + Redaction.redact(logUrl.get()) + " with store " + Redaction.redact(storeUrl);
    if (!log.shared() && state.shared()) {
      throw new IllegalArgumentException(
          pair
              + " cannot work: the "
              + log.name()
              + " log belongs to one process, so the other processes "
              + "sharing the "
              + state.name()
              + " state would never see its events; take the log from a shared store too");
    }
  }

  /**
   * Opens the store of {@code settings}, and the log of {@code logUrl} when it names another store;
   * the pairing must have passed {@link #checkPairing}.
   */
  public static Backend open(StoreSettings settings, Optional<String> logUrl) {
    checkPairing(settings.url(), logUrl);
    Backend store = require(settings.url()).open(settings);
    if (logUrl.isEmpty() || logUrl.get().equals(settings.url())) {
      return store;
    }
    BackendProvider logProvider = require(logUrl.get());
    if (logProvider.shared() && !require(settings.url()).shared()) {
      LOG.warn(
          "the log {} is shared by processes but the state in {} belongs to this one: run one"
              + " Herald process on this log, or each would digest only the events it happens to"
              + " read",
          Redaction.redact(logUrl.get()),
          Redaction.redact(settings.url()));
    }
    Backend log;
    try {
      log = logProvider.open(settings.withUrl(logUrl.get()));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return new Paired(log, store);
  }

  /** The log of one backend with the state stores of another; closes both. */
  private record Paired(Backend logSide, Backend stateSide) implements Backend {
    @Override
    public EventLog log() {
      return logSide.log();
    }

    @Override
    public DigestStore digests() {
      return stateSide.digests();
    }

    @Override
    public NotificationStore notifications() {
      return stateSide.notifications();
    }

    @Override
    public InboxStore inboxes() {
      return stateSide.inboxes();
    }

    @Override
    public String describe() {
      return stateSide.describe() + " (log " + logSide.describe() + ")";
    }

    @Override
    public boolean ready() {
      return logSide.ready() && stateSide.ready();
    }

    @Override
    public void close() {
      try {
        stateSide.close();
      } finally {
        logSide.close();
      }
    }
  }
}
