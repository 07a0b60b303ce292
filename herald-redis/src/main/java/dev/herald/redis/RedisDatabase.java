package dev.herald.redis;

import dev.herald.Redaction;
import dev.herald.log.StoreTimeoutException;
import dev.herald.log.StoreUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One Redis (a {@code redis://host:port/db} URL) shared by the Redis backends, with a key prefix
 * that namespaces one Herald deployment. Lettuce's connection is thread-safe and pipelines the
 * commands of concurrent callers, so one connection serves every thread (four, each thread keeping
 * to one, measured no faster in the digest benchmark).
 *
 * <p>Every call goes through {@link #call}, which turns an unreachable or timing-out Redis into a
 * {@link StoreUnavailableException} the HTTP layer answers with 503.
 */
public final class RedisDatabase implements AutoCloseable {

  /** The URL with its password hidden: the only form messages and descriptions show. */
  private final String url;

  private final String prefix;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  private RedisDatabase(
      String url,
      String prefix,
      RedisClient client,
      StatefulRedisConnection<String, String> connection) {
    this.url = Redaction.redact(url);
    this.prefix = prefix;
    this.client = client;
    this.connection = connection;
  }

  /** Connects to {@code url}; keys start with {@code prefix} (e.g. {@code herald:}). */
  public static RedisDatabase connect(String url, String prefix) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(prefix, "prefix");
    if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
      // Redis Cluster hashes the first {...} of a key: braces here would override the tags that
      // spread Herald's shards over the cluster (or put every key in one slot)
      throw new IllegalArgumentException(
          "the Redis key prefix '"
              + prefix
              + "' must not contain '{' or '}': Herald's keys carry "
              + "their own hash tags right after the prefix");
    }
    RedisURI uri;
    try {
      uri = RedisURI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + Redaction.redact(url) + "' is not a Redis URL like redis://localhost:6379/0", e);
    }
    uri.setTimeout(Duration.ofSeconds(5));
    // Reconnect attempts back off up to 2 s (Lettuce's default grows to 30 s), so a Redis that
    // comes back is noticed quickly.
    RedisClient client =
        RedisClient.create(
            DefaultClientResources.builder()
                .reconnectDelay(
                    Delay.exponential(
                        Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build(),
            uri);
    // While Redis is away, fail at once (503 with Retry-After) instead of queueing commands until
    // they time out; Lettuce keeps reconnecting in the background.
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
    try {
      return new RedisDatabase(url, prefix, client, client.connect());
    } catch (RedisConnectionException e) {
      client.shutdown();
      client.getResources().shutdown();
      throw new StoreUnavailableException(
          "cannot connect to Redis at " + Redaction.redact(url) + ": " + rootMessage(e), e);
    }
  }

  /** The full name of a key of this deployment. */
  public String key(String name) {
    return prefix + name;
  }

  /** The URL, its password hidden. */
  public String url() {
    return url;
  }

  /** Runs commands, mapping connection failures to {@link StoreUnavailableException}. */
  public <T> T call(Function<RedisCommands<String, String>, T> commands) {
    try {
      return commands.apply(connection.sync());
    } catch (RedisCommandTimeoutException e) {
      throw new StoreTimeoutException(
          "Redis at " + url + " did not answer in time: " + rootMessage(e), e);
    } catch (RedisConnectionException e) {
      throw new StoreUnavailableException(
          "Redis at " + url + " is unavailable: " + rootMessage(e), e);
    } catch (RedisCommandExecutionException e) {
      if (e.getMessage() != null
          && (e.getMessage().startsWith("LOADING") || e.getMessage().startsWith("BUSY "))) {
        throw new StoreUnavailableException(
            "Redis at " + url + " is not ready: " + e.getMessage(), e);
      }
      throw e;
    } catch (io.lettuce.core.RedisException e) {
      String message = String.valueOf(e.getMessage());
      if (e.getCause() instanceof java.io.IOException
          || message.contains("Connection closed")
          || message.contains("not connected")) {
        throw new StoreUnavailableException(
            "Redis at " + url + " is unavailable: " + rootMessage(e), e);
      }
      throw e;
    }
  }

  /**
   * Sends every command before awaiting any answer (one round trip instead of one each) and returns
   * the answers in order; failures map as in {@link #call}.
   */
  public <T> java.util.List<T> pipeline(
      java.util.List<Function<RedisAsyncCommands<String, String>, RedisFuture<T>>> commands) {
    return call(
        redis -> {
          RedisAsyncCommands<String, String> async = connection.async();
          java.util.List<RedisFuture<T>> futures = new java.util.ArrayList<>(commands.size());
          for (Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command : commands) {
            futures.add(command.apply(async));
          }
          return awaitAll(futures);
        });
  }

  private <T> java.util.List<T> awaitAll(java.util.List<RedisFuture<T>> futures) {
    java.util.List<T> answers = new java.util.ArrayList<>(futures.size());
    try {
      for (RedisFuture<T> future : futures) {
        answers.add(future.get(10, TimeUnit.SECONDS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while waiting for Redis at " + url, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException runtime
          ? runtime
          : new io.lettuce.core.RedisException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new RedisCommandTimeoutException("Redis at " + url + " did not answer within 10 s");
    }
    return answers;
  }

  /** A Lua script, run by its SHA and loaded on first use or after a Redis restart. */
  public final class Script {
    private final String text;
    private volatile String sha;

    Script(String text) {
      this.text = text;
    }

    /**
     * Runs the script once per call in {@code calls}, all sent before any answer is awaited (one
     * round trip instead of one each), and returns the answers in order.
     */
    public <T> java.util.List<T> runAll(
        ScriptOutputType type, java.util.List<String[]> keys, java.util.List<String[]> args) {
      return call(
          redis -> {
            if (sha == null) {
              sha = redis.scriptLoad(text);
            }
            var async = connection.async();
            java.util.List<RedisFuture<T>> futures = new java.util.ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
              futures.add(async.evalsha(sha, type, keys.get(i), args.get(i)));
            }
            // A Redis that restarted forgot the script: load it again and rerun the calls it
            // refused
            // (only those; the others ran).
            for (int i = 0; i < futures.size(); i++) {
              try {
                futures.get(i).get(10, TimeUnit.SECONDS);
              } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RedisNoScriptException) {
                  sha = redis.scriptLoad(text);
                  futures.set(i, async.evalsha(sha, type, keys.get(i), args.get(i)));
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break; // reported by awaitAll below
              } catch (java.util.concurrent.TimeoutException e) {
                break; // reported by awaitAll below
              }
            }
            return awaitAll(futures);
          });
    }

    public <T> T run(ScriptOutputType type, String[] keys, String... args) {
      return call(
          redis -> {
            if (sha == null) {
              sha = redis.scriptLoad(text);
            }
            try {
              return redis.evalsha(sha, type, keys, args);
            } catch (RedisNoScriptException e) {
              sha = redis.scriptLoad(text);
              return redis.evalsha(sha, type, keys, args);
            }
          });
    }
  }

  public Script script(String text) {
    return new Script(text);
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    client.getResources().shutdown();
  }
}
