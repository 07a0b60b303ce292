package dev.herald.bench;

import dev.herald.Redaction;
import dev.herald.bench.RedisDigestBenchmark.Design;
import dev.herald.bench.RedisDigestBenchmark.Ledger;
import dev.herald.json.Json;
import dev.herald.postgres.PostgresBackend;
import dev.herald.postgres.PostgresUrl;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * Herald on PostgreSQL beside the design a team would write with a PostgreSQL job queue, on the
 * same local PostgreSQL and the workload of the Redis benchmark: {@code scans} scans for {@code
 * sellers} sellers with a 2 s quiet period, flat out, then fresh sellers at a steady rate with a 30
 * s quiet period, so that about 100,000 are open.
 *
 * <p>The job-queue design, as River, Oban or pg-boss users write it: each scan is one {@code
 * INSERT} of a job row in a transaction of its own (as an API handler would); four workers loop
 * {@code SELECT … FOR UPDATE SKIP LOCKED LIMIT 1}, upsert the seller's bucket row (the item
 * appended to a JSON array, the deadline moved), delete the job and commit; a scheduler polls
 * {@code SELECT … WHERE due_at <= now() FOR UPDATE SKIP LOCKED}, deletes what it took and emits the
 * notifications. Idle loops sleep 10 ms.
 */
final class PostgresDigestBenchmark {

  static final int WORKERS = 4;

  record Result(
      String design,
      double ingestPerSecond,
      Histogram ingestLateness,
      double cpuMicrosPerEvent,
      double walBytesPerEvent,
      long steadyOpenMin,
      Histogram steadyLateness,
      long lost,
      long duplicated) {}

  private final String url;
  private final int scans;
  private final int sellers;

  PostgresDigestBenchmark(String url, int scans, int sellers) {
    this.url = url;
    this.scans = scans;
    this.sellers = sellers;
  }

  private PostgresUrl target(String schema) {
    return PostgresUrl.parse(url, schema, System.getenv());
  }

  private Connection connect(String schema) throws SQLException {
    PostgresUrl target = target(schema);
    Connection c =
        DriverManager.getConnection(
            target.jdbcUrl(), target.user().orElse(null), target.password().orElse(null));
    try (Statement s = c.createStatement()) {
      s.execute("SET search_path TO " + schema);
    }
    return c;
  }

  void dropSchema(String schema) throws SQLException {
    try (Connection c = connect("public");
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  /** The job-queue design. */
  private final class JobQueue implements Design {
    private final Ledger ledger;
    private final List<Connection> publishers = new ArrayList<>();
    private final ExecutorService publishing = Executors.newFixedThreadPool(4);
    private final ThreadLocal<Connection> publisher = new ThreadLocal<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Connection admin;

    JobQueue(Ledger ledger) {
      this.ledger = ledger;
      try {
        dropSchema("bench_jobs");
        admin = connect("public");
        try (Statement s = admin.createStatement()) {
          s.execute("CREATE SCHEMA bench_jobs");
          s.execute(
              "CREATE TABLE bench_jobs.job (id bigserial PRIMARY KEY, seller text NOT NULL,"
                  + " package text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
          s.execute(
              "CREATE TABLE bench_jobs.bucket (seller text PRIMARY KEY, items jsonb NOT NULL,"
                  + " due_at timestamptz NOT NULL)");
          s.execute("CREATE INDEX ON bench_jobs.bucket (due_at)");
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      for (int w = 0; w < WORKERS; w++) {
        threads.add(Thread.ofPlatform().name("jobs-worker-" + w).start(this::work));
      }
      threads.add(Thread.ofPlatform().name("jobs-scheduler").start(this::schedule));
    }

    private void work() {
      try (Connection c = connect("bench_jobs")) {
        c.setAutoCommit(false);
        PreparedStatement take =
            c.prepareStatement(
                "SELECT id, seller, package FROM job ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1");
        PreparedStatement upsert =
            c.prepareStatement(
                "INSERT INTO bucket (seller, items, due_at) VALUES (?, jsonb_build_array(?::text),"
                    + " now() + ?::interval) ON CONFLICT (seller) DO UPDATE SET items ="
                    + " bucket.items || excluded.items, due_at = excluded.due_at");
        PreparedStatement delete = c.prepareStatement("DELETE FROM job WHERE id = ?");
        String quiet = ledger.quiet.toMillis() + " milliseconds";
        while (running.get()) {
          long id;
          String seller;
          String pkg;
          try (ResultSet rs = take.executeQuery()) {
            if (!rs.next()) {
              c.commit();
              Thread.sleep(10);
              continue;
            }
            id = rs.getLong(1);
            seller = rs.getString(2);
            pkg = rs.getString(3);
          }
          upsert.setString(1, seller);
          upsert.setString(2, pkg);
          upsert.setString(3, quiet);
          upsert.executeUpdate();
          delete.setLong(1, id);
          delete.executeUpdate();
          c.commit();
        }
      } catch (SQLException | InterruptedException e) {
        if (running.get()) {
          throw new IllegalStateException(e);
        }
      }
    }

    private void schedule() {
      try (Connection c = connect("bench_jobs")) {
        c.setAutoCommit(false);
        PreparedStatement due =
            c.prepareStatement(
                "SELECT seller, items FROM bucket WHERE due_at <= now() ORDER BY due_at"
                    + " FOR UPDATE SKIP LOCKED LIMIT 100");
        PreparedStatement delete = c.prepareStatement("DELETE FROM bucket WHERE seller = ?");
        while (running.get()) {
          List<String> taken = new ArrayList<>();
          List<List<String>> items = new ArrayList<>();
          try (ResultSet rs = due.executeQuery()) {
            while (rs.next()) {
              taken.add(rs.getString(1));
              List<String> list = new ArrayList<>();
              Json.parseTrusted(rs.getString(2)).forEach(i -> list.add(i.asText()));
              items.add(list);
            }
          }
          for (String seller : taken) {
            delete.setString(1, seller);
            delete.addBatch();
          }
          if (!taken.isEmpty()) {
            delete.executeBatch();
          }
          c.commit();
          long now = System.currentTimeMillis();
          for (int i = 0; i < taken.size(); i++) {
            ledger.emit(taken.get(i), items.get(i), now);
          }
          if (taken.isEmpty()) {
            Thread.sleep(10);
          }
        }
      } catch (SQLException | InterruptedException e) {
        if (running.get()) {
          throw new IllegalStateException(e);
        }
      }
    }

    private Connection publisher() throws SQLException {
      Connection c = publisher.get();
      if (c == null) {
        c = connect("bench_jobs");
        synchronized (publishers) {
          publishers.add(c);
        }
        publisher.set(c);
      }
      return c;
    }

    /** One INSERT per scan, each its own transaction, spread over four connections. */
    @Override
    public void publish(List<String[]> batch) {
      List<Future<?>> inserts = new ArrayList<>();
      int per = Math.max(1, (batch.size() + 3) / 4);
      for (int from = 0; from < batch.size(); from += per) {
        List<String[]> part = batch.subList(from, Math.min(batch.size(), from + per));
        inserts.add(
            publishing.submit(
                () -> {
                  try (PreparedStatement insert =
                      publisher()
                          .prepareStatement("INSERT INTO job (seller, package) VALUES (?, ?)")) {
                    for (String[] scan : part) {
                      insert.setString(1, scan[0]);
                      insert.setString(2, scan[1]);
                      insert.executeUpdate();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> insert : inserts) {
        try {
          insert.get();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }

    @Override
    public boolean caughtUp(long published) {
      return count("SELECT count(*) FROM bench_jobs.job") == 0;
    }

    @Override
    public long open() {
      return count("SELECT count(*) FROM bench_jobs.bucket");
    }

    private synchronized long count(String sql) {
      try (Statement s = admin.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws Exception {
      running.set(false);
      for (Thread thread : threads) {
        thread.join(120_000);
      }
      publishing.shutdown();
      for (Connection c : publishers) {
        c.close();
      }
      admin.close();
    }
  }

  private interface Factory {
    Design start(Ledger ledger);
  }

  Result jobQueue() throws Exception {
    return run("job queue (INSERT per scan, SKIP LOCKED workers)", JobQueue::new, 1);
  }

  Result herald() throws Exception {
    return run(
        "Herald on PostgreSQL",
        ledger -> {
          try {
            dropSchema("bench_herald");
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
          return new HeraldDigestDesign(
              ledger, rule -> new PostgresBackend(target("bench_herald"), InstantSource.system()));
        },
        500);
  }

  private Result run(String name, Factory factory, int batch) throws Exception {
    // warm-up: a tenth of the ingest, unreported
    Ledger warm = new Ledger(RedisDigestBenchmark.QUIET, "");
    try (Design design = factory.start(warm)) {
      ingest(design, warm, batch, scans / 10, sellers / 10);
    }
    Ledger ledger = new Ledger(RedisDigestBenchmark.QUIET, "");
    double perSecond;
    double cpu;
    double wal;
    try (Design design = factory.start(ledger)) {
      double cpuBefore = postgresCpuSeconds();
      String walBefore = walLsn();
      perSecond = ingest(design, ledger, batch, scans, sellers);
      cpu = (postgresCpuSeconds() - cpuBefore) * 1e6 / scans;
      wal = walBytesSince(walBefore) / (double) scans;
    }
    System.out.printf(
        "  %s: ingest %,.0f scans/s, lateness p99 %.1f ms, PostgreSQL CPU %.1f µs and WAL %.0f"
            + " bytes per scan%n",
        name, perSecond, ledger.lateness.getValueAtPercentile(99) / 1000.0, cpu, wal);
    Ledger steady = new Ledger(RedisDigestBenchmark.STEADY_QUIET, "m-");
    long openMin;
    try (Design design = factory.start(steady)) {
      openMin = RedisDigestBenchmark.steady(design, steady, batch);
    }
    System.out.printf(
        "  %s: steady, at least %,d open: p99 %.1f ms%n",
        name, openMin, steady.lateness.getValueAtPercentile(99) / 1000.0);
    long steadyTotal =
        RedisDigestBenchmark.STEADY_RATE
            * (RedisDigestBenchmark.STEADY_QUIET.toSeconds()
                + RedisDigestBenchmark.STEADY_MEASURED.toSeconds());
    long lost = scans + steadyTotal - ledger.notified.size() - steady.notified.size();
    return new Result(
        name,
        perSecond,
        ledger.lateness,
        cpu,
        wal,
        openMin,
        steady.lateness,
        lost,
        ledger.duplicated() + steady.duplicated());
  }

  /**
   * Publishes flat out, waits until the design consumed everything and every seller was notified;
   * returns scans/s up to the moment all were consumed.
   */
  private static double ingest(Design design, Ledger ledger, int batch, int scans, int sellers)
      throws Exception {
    long start = System.nanoTime();
    RedisDigestBenchmark.publishFlatOut(
        design, ledger, batch, scans, i -> Integer.toString(i % sellers), "P");
    EmbeddedDigestBenchmark.await(() -> design.caughtUp(scans), Duration.ofMinutes(20));
    double seconds = (System.nanoTime() - start) / 1e9;
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (ledger.notified.size() < scans && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return scans / seconds;
  }

  /** CPU seconds of every process named postgres on this machine (the server is local). */
  private static double postgresCpuSeconds() throws IOException {
    double ticks = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        try {
          String stat = Files.readString(proc.resolve("stat"));
          int close = stat.lastIndexOf(')');
          if (!stat.substring(stat.indexOf('(') + 1, close).equals("postgres")) {
            continue;
          }
          String[] fields = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException gone) {
          // the process ended meanwhile
        }
      }
    }
    return ticks / 100.0;
  }

  private String walLsn() throws SQLException {
    try (Connection c = connect("public");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private long walBytesSince(String lsn) throws SQLException {
    try (Connection c = connect("public");
        PreparedStatement s =
            c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)")) {
      s.setString(1, lsn);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Herald on PostgreSQL beside a job-queue design, on one PostgreSQL (schemas bench_jobs and
   * bench_herald, dropped first).
   */
  static void runAndReport(String url, int scans, int sellers, List<String> designs, Path out)
      throws Exception {
    String machine = Machine.describe();
    System.out.println("Herald vs a job-queue design on " + Redaction.redact(url) + ", " + machine);
    PostgresDigestBenchmark bench = new PostgresDigestBenchmark(url, scans, sellers);
    List<PostgresDigestBenchmark.Result> results = new ArrayList<>();
    if (designs.contains("jobqueue")) {
      results.add(bench.jobQueue());
    }
    if (designs.contains("herald")) {
      results.add(bench.herald());
    }
    Optional<HttpDigestBenchmark.Result> http = Optional.empty();
    if (designs.contains("herald")) {
      bench.dropSchema("bench_http");
      Path work = Files.createTempDirectory("herald-bench-pg");
      http =
          Optional.of(
              new HttpDigestBenchmark(
                      500_000, 50_000, 1000, 4, work, Optional.of(new String[] {url, "bench_http"}))
                  .run());
      System.out.printf(
          "  HTTP on PostgreSQL, batches of 1000 from 4 clients: %,.0f events/s acknowledged,"
              + " engine caught up after %.2f s%n",
          http.get().eventsPerSecond(), http.get().caughtUpSeconds());
    }
    StringBuilder rows = new StringBuilder();
    StringBuilder lateness = new StringBuilder();
    for (PostgresDigestBenchmark.Result r : results) {
      Histogram in = r.ingestLateness();
      Histogram st = r.steadyLateness();
      rows.append(
          String.format(
              Locale.ROOT,
              "| %s | %,.0f scans/s | %.1f µs | %,.0f B | %,d | %,d |%n",
              r.design(),
              r.ingestPerSecond(),
              r.cpuMicrosPerEvent(),
              r.walBytesPerEvent(),
              r.lost(),
              r.duplicated()));
      lateness.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f / %.1f / %.1f ms | %,d | %.1f / %.1f / %.1f ms |%n",
              r.design(),
              BenchMain.ms(in.getValueAtPercentile(50)),
              BenchMain.ms(in.getValueAtPercentile(99)),
              BenchMain.ms(in.getMaxValue()),
              r.steadyOpenMin(),
              BenchMain.ms(st.getValueAtPercentile(50)),
              BenchMain.ms(st.getValueAtPercentile(99)),
              BenchMain.ms(st.getMaxValue())));
    }
    System.out.print(rows);
    System.out.print(lateness);
    if (results.size() < 2) {
      System.out.println("one design only: no report written (it compares both, side by side)");
      return;
    }
    PostgresDigestBenchmark.Result j = results.get(0);
    PostgresDigestBenchmark.Result h = results.get(1);
    String report =
        String.format(
            Locale.ROOT,
            """
        # Digest benchmark: Herald on PostgreSQL beside a job-queue design

        Run: `bin/herald-bench postgres` on %s, %s, PostgreSQL at %s (same machine).

        Each design first runs an unreported tenth of phase 1, then:

        1. **Ingest**: %,d scans for %,d sellers, published flat out by 4 threads (quiet period
           %s); scans/s counted until the design consumed them all; lateness of every seller's
           notification; PostgreSQL CPU (every `postgres` process, from `/proc`) and WAL
           (`pg_current_wal_lsn` before and after) per scan over the phase.
        2. **Steady**: fresh sellers at %,d/s, one scan each, quiet period %s, so that about
           %,d sellers are open; lateness measured on the sellers arriving after the first %s.

        Lateness is emission time minus (last scan + quiet period).

        | design | ingest | PostgreSQL CPU per scan | WAL per scan | scans lost | scans duplicated |
        |---|---|---|---|---|---|
        %s
        | design | ingest lateness p50 / p99 / max | open sellers (steady, fewest) | steady lateness p50 / p99 / max |
        |---|---|---|---|
        %s
        Ratios, Herald / job queue: ingest **%.1f×**, PostgreSQL CPU per scan **%.2f×**, WAL per scan **%.2f×**, steady p99 **%.3f×**.
        Targets: ingest ≥ 10×, p99 ≤ 100 ms at 100,000 open sellers, zero lost, zero duplicated.

        Batched HTTP ingest on PostgreSQL (a `herald server` in the same JVM on the same database,
        500,000 scans for 50,000 sellers in batches of 1,000 from 4 clients over loopback):
        **%,.0f events/s** acknowledged (201), the digest engine caught up after %.2f s (target
        ≥ 30,000 events/s).

        The job queue inserts one job row per scan in a transaction of its own (4 connections); %d
        workers each loop `SELECT … FOR UPDATE SKIP LOCKED LIMIT 1`, upsert the seller's bucket
        (`jsonb` array appended, `due_at` moved), delete the job and commit; a scheduler polls
        `SELECT … WHERE due_at <= now() FOR UPDATE SKIP LOCKED LIMIT 100`, deletes and emits. Idle
        loops sleep 10 ms. Herald appends batches of 500 (as its HTTP API takes them) and runs its
        digest engine in-process, ingesting and closing on a thread each; its notifications go to
        the outbox only, as the job queue's scheduler only "emits" in-process.
        """,
            machine,
            Instant.now(),
            Redaction.redact(url),
            scans,
            sellers,
            RedisDigestBenchmark.QUIET,
            RedisDigestBenchmark.STEADY_RATE,
            RedisDigestBenchmark.STEADY_QUIET,
            RedisDigestBenchmark.STEADY_RATE * RedisDigestBenchmark.STEADY_QUIET.toSeconds(),
            RedisDigestBenchmark.STEADY_QUIET,
            rows,
            lateness,
            h.ingestPerSecond() / j.ingestPerSecond(),
            h.cpuMicrosPerEvent() / j.cpuMicrosPerEvent(),
            h.walBytesPerEvent() / j.walBytesPerEvent(),
            (double) h.steadyLateness().getValueAtPercentile(99)
                / Math.max(1, j.steadyLateness().getValueAtPercentile(99)),
            http.orElseThrow().eventsPerSecond(),
            http.orElseThrow().caughtUpSeconds(),
            PostgresDigestBenchmark.WORKERS);
    Files.createDirectories(out);
    Files.writeString(out.resolve("digest-postgres.md"), report);
    System.out.println("report written to " + out.resolve("digest-postgres.md"));
  }
}
