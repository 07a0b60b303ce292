package dev.herald.sqlite;

import dev.herald.jdbc.SqlSession;
import dev.herald.jdbc.SqlWork;
import dev.herald.log.StoreUnavailableException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * One SQLite file in WAL mode, shared by the SQLite event log, digest store and outbox.
 *
 * <p>SQLite allows one writer at a time, and each commit costs a WAL sync, so all writes go through
 * a single writer thread that <em>group-commits</em>: it takes every write queued while the
 * previous commit ran, runs them and commits them together; when one fails, the group runs again
 * with a savepoint per write, so one failing write does not undo the others. A caller of {@link
 * #write} returns only after the commit, so what it wrote is durable. Reads run concurrently on a
 * small pool of read-only connections, which WAL lets proceed while the writer commits.
 *
 * <p>Durability: {@code synchronous=NORMAL} (the default here) survives any crash of the process;
 * {@code FULL} also survives power loss, at the cost of a sync per commit.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqliteDatabase implements AutoCloseable {

  /** The name of the thread that runs every write (benchmarks read its CPU time). */
  public static final String WRITER_THREAD_NAME = "herald-sqlite-writer";

  private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);
  private static final int MAX_WRITES_PER_COMMIT = 512;
  private static final int READERS = 4;

  /** How hard commits are synced to disk. */
  public enum Sync {
    NORMAL,
    FULL
  }

  private final Path file;
  private final FileChannel lockChannel;
  private final BlockingQueue<Write<?>> writes = new LinkedBlockingQueue<>();
  private final BlockingQueue<SqlSession> readers = new ArrayBlockingQueue<>(READERS);
  private final Sync sync;

  /**
   * The writer thread's connection; replaced after a group commit fails as a whole (see {@link
   * #resetWriter}).
   */
  private SqlSession writer;

  /**
   * The last failure that said the file cannot be written (disk full, I/O error): readiness reports
   * it for {@link #FAILURE_HOLD} after it happened (small writes may go through on a disk with
   * little room while others fail), then until a group commits or a probe write succeeds.
   */
  private volatile String writeFailure;

  private volatile long writeFailureNanos;
  private static final long FAILURE_HOLD = TimeUnit.SECONDS.toNanos(10);
  private final java.util.concurrent.atomic.AtomicLong probes =
      new java.util.concurrent.atomic.AtomicLong();
  private final Thread writerThread;
  private static final long WAL_RESTART_BYTES = 64L << 20;
  private static final long RESTART_COPY_BYTES = 1L << 20;
  private static final int MAX_CATCH_UP_ROUNDS = 6;

  private final java.util.concurrent.locks.ReentrantLock writerTurn =
      new java.util.concurrent.locks.ReentrantLock();
  private final Thread checkpointThread;
  private final Connection checkpointer;
  private final long pageSize;
  private volatile boolean open = true;
  private final List<Runnable> rollbackListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> commitListeners = new CopyOnWriteArrayList<>();

  private record Write<T>(SqlWork<T> work, CompletableFuture<T> result) {}

  private SqliteDatabase(Path file, Sync sync, FileChannel lockChannel) throws SQLException {
    this.file = file;
    this.sync = sync;
    this.lockChannel = lockChannel;
    SqlSession schema = new SqlSession(connect(file, sync, false));
    SqliteSchema.apply(schema.connection());
    this.writer = writerSession(schema);
    for (int i = 0; i < READERS; i++) {
      readers.add(new SqlSession(connect(file, sync, true)));
    }
    this.checkpointer = connect(file, sync, false);
    try (Statement statement = checkpointer.createStatement();
        ResultSet rs = statement.executeQuery("PRAGMA page_size")) {
      rs.next();
      this.pageSize = rs.getLong(1);
    }
    this.writerThread =
        Thread.ofPlatform().name(WRITER_THREAD_NAME).daemon(true).start(this::writeLoop);
    this.checkpointThread =
        Thread.ofPlatform()
            .name("herald-sqlite-checkpoint")
            .daemon(true)
            .start(this::checkpointLoop);
  }

  /**
   * Readies a connection for the writer thread. The writer opens every group with BEGIN IMMEDIATE
   * (see commit). The driver must not be in auto-commit mode, where it runs an extra statement
   * after each one (measured: 15% more time per upsert), but leaving auto-commit opens a deferred
   * transaction that is ended here.
   */
  private static SqlSession writerSession(SqlSession session) throws SQLException {
    session.connection().setAutoCommit(false);
    session.prepare("COMMIT").execute();
    return session;
  }

  /** Opens (creating if needed) {@code herald.db} in {@code dataDir}. */
  public static SqliteDatabase open(Path dataDir, Sync sync) {
    Objects.requireNonNull(dataDir, "dataDir");
    FileChannel lock = null;
    try {
      Files.createDirectories(dataDir);
      lock = lockDataDir(dataDir);
      return new SqliteDatabase(dataDir.resolve("herald.db"), sync, lock);
    } catch (IOException e) {
      closeQuietly(lock);
      throw new StoreUnavailableException(
          "cannot create the data folder " + dataDir + ": " + e.getMessage(), e);
    } catch (SQLException e) {
      closeQuietly(lock);
      throw new StoreUnavailableException(
          "cannot open SQLite database in " + dataDir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
  }

  /** One process per data folder: the writer thread is the only writer SQLite can have. */
  private static FileChannel lockDataDir(Path dataDir) throws IOException {
    FileChannel channel =
        FileChannel.open(
            dataDir.resolve("herald.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new StoreUnavailableException(
          "the data folder "
              + dataDir.toAbsolutePath()
              + " is in use by another Herald process; give each process its own --data folder",
          null);
    }
    return channel;
  }

  /**
   * Whether another process (or another database of this one) holds the data folder's lock now; the
   * lock is tried and released at once, and a folder that does not exist is not in use.
   */
  public static boolean inUse(Path dataDir) {
    Path lockFile = dataDir.resolve("herald.lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  public Path file() {
    return file;
  }

  private static Connection connect(Path file, Sync sync, boolean readOnly) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("journal_mode", "WAL");
    properties.setProperty("synchronous", sync.name());
    properties.setProperty("busy_timeout", "10000");
    properties.setProperty("cache_size", "-65536");
    properties.setProperty("journal_size_limit", Long.toString(256L << 20));
    // Herald never asks for generated keys; left on, sqlite-jdbc prepares and runs
    // "SELECT last_insert_rowid()" after every INSERT execution (xerial/sqlite-jdbc#1135)
    properties.setProperty(SQLiteConfig.Pragma.JDBC_GET_GENERATED_KEYS.getPragmaName(), "false");
    if (readOnly) {
      properties.setProperty("open_mode", "1");
    }
    Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file, properties);
    try (Statement statement = connection.createStatement()) {
      // Checkpoints (copying the WAL back into the file, with a sync) run on their own thread, so
      // that no commit of the writer waits for one.
      statement.execute("PRAGMA wal_autocheckpoint = 0");
    }
    return connection;
  }

  /** Runs {@code work} in the next group commit and returns its result once committed. */
  public <T> T write(SqlWork<T> work) {
    if (!open) {
      throw new StoreUnavailableException("the SQLite database " + file + " is closed", null);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    writes.add(new Write<>(work, result));
    try {
      return result.join();
    } catch (CompletionException e) {
      throw rethrow(e.getCause());
    }
  }

  /** How many writes wait for the writer thread (for tests). */
  int queuedWrites() {
    return writes.size();
  }

  /** Runs read-only {@code work} on a pooled connection, concurrently with writes. */
  public <T> T read(SqlWork<T> work) {
    SqlSession session;
    try {
      session = readers.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while waiting for a SQLite reader", e);
    }
    try {
      return work.run(session);
    } catch (SQLException e) {
      throw failure(e);
    } finally {
      readers.add(session);
    }
  }

  private void writeLoop() {
    List<Write<?>> batch = new ArrayList<>();
    while (open || !writes.isEmpty()) {
      try {
        Write<?> first = writes.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        writes.drainTo(batch, MAX_WRITES_PER_COMMIT - 1);
        writerTurn.lock();
        try {
          commit(batch);
        } finally {
          writerTurn.unlock();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        batch.clear();
      }
    }
  }

  /**
   * Copies committed WAL frames into the database file in the background, every 200 ms. A passive
   * checkpoint never waits, but while readers are always active (engines reading their streams) the
   * WAL is never restarted and grows without bound, and every page read then searches a longer WAL
   * index (measured: 2.7 GB of WAL within 90 s of routing reviews). So once the WAL in use holds
   * more than {@link #WAL_RESTART_BYTES}, a RESTART checkpoint waits for the current readers to end
   * and makes the next commit start the WAL from its beginning. It runs while the writer is between
   * commits ({@link #writerTurn}), so commits wait for it, and it copies (and syncs) whatever was
   * committed since the last passive checkpoint: on this project's benchmark machine about 10 ms
   * per MiB. So before it, passive checkpoints run again, each copying what was committed while the
   * previous one ran, until one finds at most {@link #RESTART_COPY_BYTES} new (measured while
   * routing reviews: restarts held commits 50-90 ms each after a single passive checkpoint, 10-25
   * ms after these rounds). It restarts only once a passive checkpoint copied every frame, unless
   * the WAL reached four times the limit. (The WAL file keeps its size when restarted, so its size
   * on disk says nothing about the frames in use: deciding by it made every round a blocking
   * restart; one digest benchmark run had a lateness p99 of 430 ms then.)
   */
  private void checkpointLoop() {
    long failingSince = 0;
    while (open) {
      try {
        Thread.sleep(200);
        Checkpoint passive = checkpoint("PASSIVE");
        if (failingSince != 0) {
          LOG.info("SQLite checkpoints of {} work again", file);
          failingSince = 0;
        }
        if (passive.frames() * pageSize <= WAL_RESTART_BYTES) {
          continue;
        }
        int rounds = 1;
        for (; rounds < MAX_CATCH_UP_ROUNDS; rounds++) {
          Checkpoint next = checkpoint("PASSIVE");
          long added = (next.frames() - passive.frames()) * pageSize;
          passive = next;
          if (added <= RESTART_COPY_BYTES && next.copied() >= next.frames()) {
            break;
          }
        }
        long walBytes = passive.frames() * pageSize;
        if (passive.copied() >= passive.frames() || walBytes > 4 * WAL_RESTART_BYTES) {
          restart(passive, walBytes, rounds);
        }
      } catch (InterruptedException e) {
        return;
      } catch (SQLException e) {
        // a full disk fails every checkpoint until space returns: say so once, not five times a
        // second
        if (failingSince == 0) {
          failingSince = System.nanoTime();
          LOG.warn("SQLite checkpoint of {} failed; retrying every 200 ms: {}", file, e.toString());
        }
      }
    }
  }

  private void restart(Checkpoint passive, long walBytes, int rounds) throws SQLException {
    // between two group commits the writer holds no snapshot, so the restart cannot deadlock
    // with it; commits wait meanwhile
    writerTurn.lock();
    long start = System.nanoTime();
    Checkpoint restart;
    try {
      restart = checkpoint("RESTART");
    } finally {
      writerTurn.unlock();
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    // it copies what was committed since the last passive checkpoint: tens of ms after a commit
    // of tens of MiB (a large inbox batch) are expected; a second or more is not
    if (millis >= 1000 || LOG.isDebugEnabled()) {
      String message =
          "SQLite WAL restart of {} held commits for {} ms ({} MiB of WAL, {} MiB copied by the restart itself,"
              + " after {} passive checkpoints)";
      Object[] args = {
        file,
        millis,
        walBytes >> 20,
        Math.max(0, restart.copied() - passive.copied()) * pageSize >> 20,
        rounds
      };
      if (millis >= 1000) {
        LOG.warn(message, args);
      } else {
        LOG.debug(message, args);
      }
    }
  }

  /** What {@code PRAGMA wal_checkpoint} reports: frames in the WAL, and how many are copied. */
  private record Checkpoint(long frames, long copied) {}

  private Checkpoint checkpoint(String mode) throws SQLException {
    try (Statement statement = checkpointer.createStatement();
        ResultSet rs = statement.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      rs.next();
      return new Checkpoint(Math.max(0, rs.getLong(2)), Math.max(0, rs.getLong(3)));
    }
  }

  /**
   * Runs a group of writes in one transaction, first without savepoints: inside a savepoint SQLite
   * copies every page a write changes into a sub-journal before changing it, which cost a quarter
   * of the writer's time when writes touch thousands of pages (measured: random-seller digest
   * ingest 68,000-81,000 -> 88,000-92,000 events/s; reviews routed into inboxes 16,700 -> 21,600
   * deliveries/s). If a write fails, the transaction is rolled back and the group runs again with a
   * savepoint per write, so that only the failing write fails.
   *
   * <p>The transaction starts with BEGIN IMMEDIATE, taking the write lock before the first read. A
   * deferred transaction whose first statement reads must upgrade to a write lock later, and SQLite
   * then answers SQLITE_BUSY at once, without waiting out the busy timeout, if any other connection
   * holds that lock at that moment, and read-only connections do take it for instants (SQLite's WAL
   * code does when a reader finds the WAL-index header changing under it). Measured with four busy
   * readers and no other writer: 9% of select-then-insert groups failed; none with BEGIN IMMEDIATE,
   * which waits for the lock like any first write.
   */
  private void commit(List<Write<?>> batch) {
    List<Object> results = new ArrayList<>(batch.size());
    try {
      begin();
      try {
        for (Write<?> write : batch) {
          results.add(write.work().run(writer));
        }
      } catch (SQLException | RuntimeException failed) {
        if (unwritable(failed)) {
          throw failed; // the file, not the write, failed: every write would, and SQLite may have
          // ended the transaction itself
        }
        rollBack(results);
        begin();
        if (batch.size() == 1) {
          results.add(new Failed(failed));
        } else {
          for (Write<?> write : batch) {
            results.add(runInSavepoint(write.work()));
          }
        }
      }
      writer.prepare("COMMIT").execute();
      if (writeFailure != null && System.nanoTime() - writeFailureNanos > FAILURE_HOLD) {
        writeFailure = null;
      }
      committed();
    } catch (SQLException | RuntimeException e) {
      LOG.error("SQLite commit of {} writes failed: {}", batch.size(), e.toString());
      LOG.debug("SQLite commit failure", e);
      try {
        rollBack(results);
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      writeFailureNanos = System.nanoTime();
      writeFailure = e.toString();
      RuntimeException failure =
          e instanceof SQLException sql ? failure(sql) : (RuntimeException) e;
      batch.forEach(w -> w.result().completeExceptionally(failure));
      resetWriter();
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      complete(batch.get(i), results.get(i));
    }
  }

  /**
   * Whether a failure says the file cannot be written now (disk full, I/O error), rather than that
   * one write is wrong.
   */
  private static boolean unwritable(Exception e) {
    if (e instanceof SQLiteException sqlite) {
      SQLiteErrorCode code = sqlite.getResultCode();
      return code == SQLiteErrorCode.SQLITE_FULL
          || code == SQLiteErrorCode.SQLITE_CANTOPEN
          || code == SQLiteErrorCode.SQLITE_READONLY
          || code == SQLiteErrorCode.SQLITE_NOMEM
          || code.name().startsWith("SQLITE_IOERR");
    }
    return false;
  }

  /**
   * Replaces the writer's connection after a group failed as a whole. A disk that filled up leaves
   * the connection in a state no statement recovers from (SQLite may have rolled the transaction
   * back on its own: the next BEGIN then finds one open, and cached statements answer "not
   * executing"), so every later write failed until a restart. A new connection starts clean; if it
   * cannot be opened now, the next group tries again.
   */
  private void resetWriter() {
    SqlSession broken = writer;
    try {
      broken.close();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("closing the failed SQLite writer connection: {}", e.toString());
    }
    try {
      writer = writerSession(new SqlSession(connect(file, sync, false)));
    } catch (SQLException e) {
      LOG.warn("SQLite writer connection to {} cannot be opened again yet: {}", file, e.toString());
      writer = broken; // closed: the next group fails fast and resets again
    }
  }

  /**
   * Whether writes succeed. After a write failed for want of space or an I/O error, tries a write
   * of its own (a row it overwrites), so that readiness comes back as soon as the disk does, even
   * while nothing else writes.
   *
   * @return empty when writes succeed, else what the last failure said
   */
  public Optional<String> writeProblem() {
    String failure = writeFailure;
    if (failure == null || System.nanoTime() - writeFailureNanos <= FAILURE_HOLD) {
      return Optional.ofNullable(failure);
    }
    try {
      write(
          session -> {
            PreparedStatement probe =
                session.prepare("INSERT OR REPLACE INTO herald_probe (id, at_ms) VALUES (1, ?)");
            probe.setLong(1, probes.incrementAndGet());
            return probe.executeUpdate();
          });
    } catch (RuntimeException e) {
      // still failing; writeFailure says why
    }
    return Optional.ofNullable(writeFailure);
  }

  private void begin() throws SQLException {
    writer.prepare("BEGIN IMMEDIATE").execute();
  }

  private Object runInSavepoint(SqlWork<?> work) throws SQLException {
    try (Statement statement = writer.connection().createStatement()) {
      statement.execute("SAVEPOINT w");
      try {
        Object result = work.run(writer);
        statement.execute("RELEASE w");
        return result;
      } catch (SQLException | RuntimeException e) {
        statement.execute("ROLLBACK TO w");
        statement.execute("RELEASE w");
        rolledBack();
        return new Failed(e);
      }
    }
  }

  private record Failed(Exception cause) {}

  /**
   * Registers what to run, on the writer thread, after writes were rolled back: a cache of rows a
   * write inserted must forget them, since the group (or the write) may run again or not at all.
   */
  void onRollback(Runnable listener) {
    rollbackListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Registers what to run, on the writer thread, after each commit and before the writes' callers
   * resume: it sees what the group made durable before anyone else acts on it.
   */
  void onCommit(Runnable listener) {
    commitListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  private void committed() {
    for (Runnable listener : commitListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("a commit listener of {} failed", file, e); // the commit itself stands
      }
    }
  }

  /** Undoes the group's transaction and forgets its results. */
  private void rollBack(List<Object> results) throws SQLException {
    results.clear();
    try {
      writer.prepare("ROLLBACK").execute();
    } finally {
      rolledBack();
    }
  }

  private void rolledBack() {
    rollbackListeners.forEach(Runnable::run);
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Write<T> write, Object result) {
    if (result instanceof Failed failed) {
      write.result().completeExceptionally(failed.cause());
    } else {
      write.result().complete((T) result);
    }
  }

  private RuntimeException rethrow(Throwable cause) {
    if (cause instanceof SQLException sql) {
      return failure(sql);
    }
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new StoreUnavailableException(cause.toString(), cause);
  }

  private StoreUnavailableException failure(SQLException e) {
    return new StoreUnavailableException("SQLite " + file + ": " + e.getMessage(), e);
  }

  /** Finishes queued writes, then closes every connection. */
  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    try {
      writerThread.join(TimeUnit.SECONDS.toMillis(30));
      checkpointThread.interrupt();
      checkpointThread.join(TimeUnit.SECONDS.toMillis(30));
      writer.close();
      for (SqlSession reader : readers) {
        reader.close();
      }
      checkpoint("TRUNCATE");
      checkpointer.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.warn("closing SQLite {} failed", file, e);
    } finally {
      closeQuietly(lockChannel);
    }
  }
}
