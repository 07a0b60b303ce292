package dev.herald.store;

import java.util.List;

/**
 * One backend family (SQLite, Redis, …): which store URLs it answers and what it can open from one.
 * The server keeps one explicit list of providers and asks each in turn; nothing is discovered.
 *
 * <p>Capabilities: a provider opens an event log and state stores (digest, outbox and inbox
 * together, since the outbox is written in the digest store's transaction) over one connection, as
 * a {@link Backend}; records (the rows imports and pipelines will write) are an SPI of their own,
 * {@link RecordsStore}, which no provider offers yet.
 *
 * <p>Thread-safety: implementations are stateless; what they open says its own.
 */
public interface BackendProvider {

  /** A short name for messages, e.g. {@code sqlite}. */
  String name();

  /** The URL forms it answers, for messages, e.g. {@code redis://host:port/db}. */
  List<String> forms();

  /** Whether {@code url} names a store of this family. */
  boolean accepts(String url);

  /**
   * Whether several processes may use one store at once (a server, its replicas and workers). A
   * store in a process's own file is not: its log would feed no other process.
   */
  boolean shared();

  /**
   * Opens the store {@code settings.url()} names: its event log and its state stores.
   *
   * @throws dev.herald.log.StoreUnavailableException when it cannot be reached or opened
   */
  Backend open(StoreSettings settings);
}
