package dev.herald.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.process.FailurePolicy;
import dev.herald.retry.RetryPolicy;
import dev.herald.server.store.Backends;
import dev.herald.store.Durability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads {@code herald.yaml} into a {@link HeraldConfig}. Unknown keys are errors (a typo must not
 * silently drop a setting), and every error names the file, the line and what is allowed.
 * Environment variables override the file: {@code HERALD_HOST}, {@code HERALD_PORT}, {@code
 * HERALD_DATA}, {@code HERALD_MAX_BODY_SIZE}, {@code HERALD_SYNC}, {@code HERALD_STORE}, {@code
 * HERALD_STORE_PREFIX}.
 */
public final class ConfigLoader {

  /** The sections every configuration may have; the jobs bring theirs. */
  private static final Set<String> CORE_SECTIONS =
      Set.of("server", "store", "log", "streams", "processing");

  private final Map<String, String> env;
  private final List<JobSections> jobs;

  /**
   * @param env the environment, whose {@code HERALD_*} variables override the file
   * @param jobs the jobs whose sections the file may hold, in the order they are read
   */
  public ConfigLoader(Map<String, String> env, List<? extends JobSections> jobs) {
    this.env = Map.copyOf(env);
    this.jobs = List.copyOf(jobs);
    Set<String> owned = new java.util.HashSet<>(CORE_SECTIONS);
    for (JobSections job : this.jobs) {
      for (String section : job.sections()) {
        if (!owned.add(section)) {
          throw new IllegalArgumentException("section '" + section + "' is owned twice");
        }
      }
    }
  }

  public HeraldConfig load(Path file) {
    LocatedYaml yaml = LocatedYaml.read(file);
    ConfigReader in = new ConfigReader(yaml);
    JsonNode root = yaml.root();
    if (!root.isObject()) {
      throw in.error(
          "",
          "the configuration must be a mapping with streams, digests, server and delivery sections");
    }
    Set<String> sections = new LinkedHashSet<>(CORE_SECTIONS);
    jobs.forEach(job -> sections.addAll(job.sections()));
    in.allowOnly(root, "", sections);
    ServerSettings server =
        log(
            in,
            in.section("log"),
            store(in, in.section("store"), server(in, in.section("server"))));
    streams(in, in.section("streams"));
    List<JobConfig> read = jobs.stream().map(job -> job.read(in)).toList();
    if (!in.declaresUserStreams()) {
      throw in.error(
          "",
          "the configuration declares no stream and no topic, so a server would do nothing: declare at least one "
              + "under streams: (or topics:); the shipped herald.yaml is a start");
    }
    Map<String, String> consumers = new LinkedHashMap<>();
    read.forEach(job -> consumers.putAll(job.consumers()));
    FailurePolicy processing = processing(in, in.section("processing"), consumers);
    return new HeraldConfig(file, overridden(server, file), in.streams(), processing, read);
  }

  /**
   * The {@code processing} section: how consumers retry what they fail to process, and their
   * dead-letter streams, which are declared here (unlimited unless declared under streams).
   */
  private static FailurePolicy processing(
      ConfigReader in, JsonNode node, Map<String, String> consumed) {
    RetryPolicy retry = RetryPolicy.PROCESSING;
    Map<String, String> deadLetters = new LinkedHashMap<>();
    if (!node.isMissingNode() && !node.isNull()) {
      in.requireObject(node, "/processing");
      ObjectNode retryNode = ((ObjectNode) node).deepCopy();
      JsonNode named = retryNode.remove("deadLetters");
      retry = in.retry(retryNode, "/processing", RetryPolicy.PROCESSING);
      if (named != null && !named.isNull()) {
        in.requireObject(named, "/processing/deadLetters");
        for (Map.Entry<String, JsonNode> entry : named.properties()) {
          String at = "/processing/deadLetters/" + entry.getKey();
          if (!consumed.containsKey(entry.getKey())) {
            throw in.error(
                at,
                "'"
                    + entry.getKey()
                    + "' is no consumer; the consumers are "
                    + consumed.keySet()
                    + " (digest:<rule>, route:<route>, inbox:<inbox>)");
          }
          String stream = entry.getValue().asText();
          if (!entry.getValue().isTextual() || !stream.matches("[A-Za-z0-9._-]{1,200}")) {
            throw in.error(
                at,
                "a dead-letter stream is a stream name of 1 to 200 letters, digits, '.', '_' or"
                    + " '-', but was "
                    + entry.getValue());
          }
          deadLetters.put(entry.getKey(), stream);
        }
      }
    }
    FailurePolicy policy =
        new FailurePolicy(retry, deadLetters, FailurePolicy.FailureListener.NONE);
    for (Map.Entry<String, String> consumer : consumed.entrySet()) {
      String deadLetterStream = policy.deadLetterStream(consumer.getKey(), consumer.getValue());
      for (Map.Entry<String, String> reader : consumed.entrySet()) {
        if (reader.getValue().equals(deadLetterStream)) {
          throw in.error(
              deadLetters.containsKey(consumer.getKey())
                  ? "/processing/deadLetters/" + consumer.getKey()
                  : "/processing",
              "the dead letters of "
                  + consumer.getKey()
                  + " would go to stream '"
                  + deadLetterStream
                  + "', which "
                  + reader.getKey()
                  + " reads: name another stream under processing.deadLetters");
        }
      }
      in.declareWrittenByHerald(deadLetterStream);
    }
    return policy;
  }

  private ServerSettings overridden(ServerSettings s, Path file) {
    String where = " (environment, overriding " + file + ")";
    String host = env.getOrDefault("HERALD_HOST", s.host());
    int port = s.port();
    if (env.containsKey("HERALD_PORT")) {
      port = parsePort(env.get("HERALD_PORT"), "HERALD_PORT" + where);
    }
    Path data = env.containsKey("HERALD_DATA") ? Path.of(env.get("HERALD_DATA")) : s.data();
    long maxBody = s.maxBodyBytes();
    if (env.containsKey("HERALD_MAX_BODY_SIZE")) {
      maxBody =
          parseSize(env.get("HERALD_MAX_BODY_SIZE"))
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "HERALD_MAX_BODY_SIZE"
                              + where
                              + " must be a size like 1MiB, 512KiB or 1048576, but was "
                              + env.get("HERALD_MAX_BODY_SIZE")));
    }
    Durability sync = s.durability();
    if (env.containsKey("HERALD_SYNC")) {
      sync =
          parseSync(env.get("HERALD_SYNC"))
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "HERALD_SYNC"
                              + where
                              + " must be normal or full, but was "
                              + env.get("HERALD_SYNC")));
    }
    String store = s.store();
    if (env.containsKey("HERALD_STORE")) {
      store =
          checkStore(
              env.get("HERALD_STORE"),
              () ->
                  new ConfigException(
                      "HERALD_STORE" + where + ": " + storeProblem(env.get("HERALD_STORE"))));
    }
    String schema = env.getOrDefault("HERALD_STORE_SCHEMA", s.storeSchema());
    try {
      Backends.checkSchema(schema);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("HERALD_STORE_SCHEMA" + where + ": " + e.getMessage());
    }
    HttpSettings http = s.http();
    if (env.containsKey("HERALD_MAX_CONNECTIONS")) {
      http =
          new HttpSettings(
              OptionalInt.of(
                  parseCount(env.get("HERALD_MAX_CONNECTIONS"), "HERALD_MAX_CONNECTIONS" + where)),
              http.idleTimeout(),
              http.headerTimeout(),
              http.allowedOrigins(),
              http.maxResponseBytes());
    }
    Optional<String> log = s.log();
    if (env.containsKey("HERALD_LOG")) {
      log =
          Optional.of(
              checkStore(
                  env.get("HERALD_LOG"),
                  () ->
                      new ConfigException(
                          "HERALD_LOG" + where + ": " + storeProblem(env.get("HERALD_LOG")))));
    }
    ServerSettings settings =
        new ServerSettings(
            host,
            port,
            data,
            maxBody,
            sync,
            store,
            env.getOrDefault("HERALD_STORE_PREFIX", s.storePrefix()),
            schema,
            log,
            http);
    try {
      Backends.checkPairing(settings.store(), settings.log());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
    return settings;
  }

  private static ServerSettings store(ConfigReader in, JsonNode node, ServerSettings server) {
    if (node.isMissingNode() || node.isNull()) {
      return server;
    }
    if (node.isTextual()) {
      return server.withStore(
          checkStore(node.textValue(), () -> in.error("/store", storeProblem(node.textValue()))),
          server.storePrefix());
    }
    in.requireObject(node, "/store");
    in.allowOnly(node, "/store", Set.of("url", "prefix", "schema"));
    String url = in.text(node, "/store", "url").orElse("sqlite");
    String schema = in.text(node, "/store", "schema").orElse(server.storeSchema());
    try {
      Backends.checkSchema(schema);
    } catch (IllegalArgumentException e) {
      throw in.error("/store/schema", e.getMessage());
    }
    return server
        .withStore(
            checkStore(url, () -> in.error("/store/url", storeProblem(url))),
            in.text(node, "/store", "prefix").orElse(server.storePrefix()))
        .withStoreSchema(schema);
  }

  private static String storeProblem(String value) {
    return Backends.problem(value);
  }

  private static String checkStore(
      String value, java.util.function.Supplier<ConfigException> problem) {
    if (Backends.provider(value).isPresent()) {
      return value;
    }
    throw problem.get();
  }

  /** {@code log: URL}: the event log from another store than the state's. */
  private static ServerSettings log(ConfigReader in, JsonNode node, ServerSettings server) {
    if (node.isMissingNode() || node.isNull()) {
      return server;
    }
    if (!node.isTextual()) {
      throw in.error(
          "/log",
          "log must be the URL of the store the event log comes from, like redis://localhost:6379/0, but was "
              + node);
    }
    String url =
        checkStore(node.textValue(), () -> in.error("/log", storeProblem(node.textValue())));
    return server.withLog(Optional.of(url));
  }

  static int parsePort(String text, String what) {
    try {
      int port = Integer.parseInt(text.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigException(what + " must be a port number from 0 to 65535, but was " + text);
  }

  private static ServerSettings server(ConfigReader in, JsonNode node) {
    ServerSettings defaults =
        new ServerSettings(
            "0.0.0.0",
            8080,
            Path.of("data"),
            ServerSettings.DEFAULT_MAX_BODY,
            Durability.PROCESS_CRASH,
            "sqlite",
            "herald:",
            "herald",
            Optional.empty(),
            HttpSettings.DEFAULT);
    if (node.isMissingNode() || node.isNull()) {
      return defaults;
    }
    in.requireObject(node, "/server");
    in.allowOnly(
        node,
        "/server",
        Set.of(
            "host",
            "port",
            "data",
            "maxBodySize",
            "sync",
            "maxConnections",
            "idleTimeout",
            "headerTimeout",
            "allowedOrigins",
            "maxResponseSize"));
    String host = in.text(node, "/server", "host").orElse(defaults.host());
    int port =
        node.has("port") ? in.integer(node.get("port"), "/server/port", 0, 65535) : defaults.port();
    Path data = in.text(node, "/server", "data").map(Path::of).orElse(defaults.data());
    long maxBody = defaults.maxBodyBytes();
    if (node.has("maxBodySize")) {
      String raw = node.get("maxBodySize").asText();
      maxBody =
          parseSize(raw)
              .orElseThrow(
                  () ->
                      in.error(
                          "/server/maxBodySize",
                          "must be a size like 1MiB, 512KiB or 1048576, but was " + raw));
    }
    Durability sync = defaults.durability();
    if (node.has("sync")) {
      String raw = node.get("sync").asText();
      sync =
          parseSync(raw)
              .orElseThrow(
                  () -> in.error("/server/sync", "must be normal or full, but was " + raw));
    }
    return new ServerSettings(
        host,
        port,
        data,
        maxBody,
        sync,
        defaults.store(),
        defaults.storePrefix(),
        defaults.storeSchema(),
        defaults.log(),
        http(in, node));
  }

  private static HttpSettings http(ConfigReader in, JsonNode node) {
    HttpSettings d = HttpSettings.DEFAULT;
    OptionalInt maxConnections =
        node.has("maxConnections")
            ? OptionalInt.of(
                in.integer(node.get("maxConnections"), "/server/maxConnections", 1, 10_000_000))
            : d.maxConnections();
    List<String> origins = new ArrayList<>();
    JsonNode originsNode = node.path("allowedOrigins");
    if (!originsNode.isMissingNode() && !originsNode.isNull()) {
      if (!originsNode.isArray()) {
        throw in.error(
            "/server/allowedOrigins",
            "allowedOrigins must be a list of origins like [https://ops.example.com], but was "
                + originsNode);
      }
      for (int i = 0; i < originsNode.size(); i++) {
        String origin = originsNode.get(i).asText();
        if (!originsNode.get(i).isTextual() || !origin.matches("https?://[^/?#\\s]+")) {
          throw in.error(
              "/server/allowedOrigins/" + i,
              "an origin is a scheme and a host with an optional port, like https://ops.example.com:8443, "
                  + "but was "
                  + originsNode.get(i));
        }
        origins.add(origin);
      }
    }
    long maxResponse = d.maxResponseBytes();
    if (node.has("maxResponseSize")) {
      String raw = node.get("maxResponseSize").asText();
      maxResponse =
          parseSize(raw)
              .orElseThrow(
                  () ->
                      in.error(
                          "/server/maxResponseSize",
                          "must be a size like 4MiB, 512KiB or 1048576, but was " + raw));
    }
    return new HttpSettings(
        maxConnections,
        in.optionalDuration(node, "/server", "idleTimeout").orElse(d.idleTimeout()),
        in.optionalDuration(node, "/server", "headerTimeout").orElse(d.headerTimeout()),
        origins,
        maxResponse);
  }

  private static int parseCount(String text, String what) {
    try {
      int count = Integer.parseInt(text.trim());
      if (count >= 1) {
        return count;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigException(what + " must be a whole number of at least 1, but was " + text);
  }

  private static Optional<Durability> parseSync(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "normal" -> Optional.of(Durability.PROCESS_CRASH);
      case "full" -> Optional.of(Durability.POWER_LOSS);
      default -> Optional.empty();
    };
  }

  static Optional<Long> parseSize(String text) {
    String t = text.trim();
    long unit = 1;
    for (Map.Entry<String, Long> suffix :
        Map.of("KiB", 1024L, "MiB", 1024L * 1024, "GiB", 1024L * 1024 * 1024).entrySet()) {
      if (t.endsWith(suffix.getKey())) {
        unit = suffix.getValue();
        t = t.substring(0, t.length() - suffix.getKey().length()).trim();
      }
    }
    try {
      long value = Long.parseLong(t);
      return value > 0 ? Optional.of(value * unit) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void streams(ConfigReader in, JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return;
    }
    in.requireObject(node, "/streams");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/streams/" + name;
      if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
        throw in.error(
            at, "a stream name may hold letters, digits, '.', '_' and '-', but was '" + name + "'");
      }
      JsonNode body = entry.getValue();
      OptionalLong maxLength = OptionalLong.empty();
      Optional<Duration> maxAge = Optional.empty();
      boolean external = false;
      if (!body.isNull()) {
        in.requireObject(body, at);
        in.allowOnly(body, at, Set.of("maxLength", "maxAge", "external"));
        if (body.has("maxLength")) {
          maxLength =
              OptionalLong.of(
                  in.integer(body.get("maxLength"), at + "/maxLength", 1, Integer.MAX_VALUE));
        }
        maxAge = in.optionalDuration(body, at, "maxAge");
        if (body.has("external")) {
          if (!body.get("external").isBoolean()) {
            throw in.error(
                at + "/external",
                "external must be true or false, but was " + body.get("external"));
          }
          external = body.get("external").booleanValue();
        }
      }
      in.declare(new StreamConfig(name, maxLength, maxAge, external));
    }
  }
}
