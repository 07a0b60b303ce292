package dev.herald.server;

import dev.herald.server.TestHttp.Answer;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * Threads posting batches to a server until stopped, for crash tests: what each batch carried is
 * recorded as attempted, and as acknowledged once the server answered 201. A request cut off by a
 * dying server is attempted but not acknowledged.
 */
final class PostingLoad {

  /** One request: its JSON body, and the things it carries (key → what the test checks by). */
  record Batch(String json, Map<String, String> carried) {}

  final Map<String, String> attempted = new ConcurrentHashMap<>();
  final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger sequence = new AtomicInteger();
  private final ExecutorService pool;
  private final List<Future<?>> futures = new ArrayList<>();

  /**
   * Starts {@code threads} posters; {@code batch} builds a request, numbering its items from the
   * supplier.
   */
  PostingLoad(int port, String path, int threads, Function<IntSupplier, Batch> batch) {
    pool = Executors.newFixedThreadPool(threads);
    for (int t = 0; t < threads; t++) {
      futures.add(
          pool.submit(
              () -> {
                TestHttp http = new TestHttp(port);
                while (!stop.get()) {
                  Batch next = batch.apply(sequence::incrementAndGet);
                  attempted.putAll(next.carried());
                  try {
                    Answer answer = http.post(path, next.json());
                    if (answer.status() == 201) {
                      acknowledged.putAll(next.carried());
                    }
                  } catch (UncheckedIOException connectionLost) {
                    // the server died mid-request: not acknowledged
                  }
                }
              }));
    }
  }

  /** Stops posting and waits for every poster to finish its request. */
  void stop() throws Exception {
    stop.set(true);
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
  }
}
