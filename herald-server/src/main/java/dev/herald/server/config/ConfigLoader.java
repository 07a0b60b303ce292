package dev.herald.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.digest.DigestRule;
import dev.herald.inbox.InboxRule;
import dev.herald.notify.LogSink;
import dev.herald.notify.Sink;
import dev.herald.notify.StreamSink;
import dev.herald.notify.WebhookSink;
import dev.herald.process.FailurePolicy;
import dev.herald.retry.RetryPolicy;
import dev.herald.route.Directory;
import dev.herald.route.InvalidDirectoryException;
import dev.herald.route.RouteRule;
import dev.herald.server.store.Backends;
import dev.herald.store.Durability;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
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

  private final Map<String, String> env;

  public ConfigLoader(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public HeraldConfig load(Path file) {
    LocatedYaml yaml = LocatedYaml.read(file);
    JsonNode root = yaml.root();
    if (!root.isObject()) {
      throw yaml.error(
          "",
          "the configuration must be a mapping with streams, digests, server and delivery sections");
    }
    allowOnly(
        yaml,
        root,
        "",
        Set.of(
            "server",
            "store",
            "log",
            "streams",
            "digests",
            "delivery",
            "directories",
            "routes",
            "inboxes",
            "alerts",
            "topics",
            "live",
            "processing"));
    ServerSettings server =
        log(
            yaml,
            root.path("log"),
            store(yaml, root.path("store"), server(yaml, root.path("server"))));
    Map<String, StreamConfig> streams = streams(yaml, root.path("streams"));
    List<DigestRule> digests = digests(yaml, root.path("digests"), streams);
    RetryPolicy retry = retry(yaml, root.path("delivery"), "/delivery", RetryPolicy.DELIVERY);
    Map<String, DirectoryConfig> directories = directories(yaml, root.path("directories"), file);
    List<RouteRule> routes = routes(yaml, root.path("routes"), streams, directories);
    List<InboxRule> inboxes = inboxes(yaml, root.path("inboxes"), streams);
    AlertSettings alerts = alerts(yaml, root.path("alerts"), streams);
    LiveSettings live = live(yaml, root.path("topics"), root.path("live"), streams);
    if (streams.keySet().stream()
        .allMatch(
            name -> name.equals(HeraldConfig.FAILED_STREAM) || name.equals(alerts.stream()))) {
      throw yaml.error(
          "",
          "the configuration declares no stream and no topic, so a server would do nothing: declare at least one "
              + "under streams: (or topics:); the shipped herald.yaml is a start");
    }
    FailurePolicy processing =
        processing(yaml, root.path("processing"), streams, digests, routes, inboxes);
    return new HeraldConfig(
        file,
        overridden(server, file),
        streams,
        digests,
        retry,
        directories,
        routes,
        inboxes,
        alerts,
        live,
        processing);
  }

  /**
   * The {@code processing} section: how consumers retry what they fail to process, and their
   * dead-letter streams, which are declared here (unlimited unless declared under streams).
   */
  private static FailurePolicy processing(
      LocatedYaml yaml,
      JsonNode node,
      Map<String, StreamConfig> streams,
      List<DigestRule> digests,
      List<RouteRule> routes,
      List<InboxRule> inboxes) {
    Map<String, String> consumed = new LinkedHashMap<>();
    digests.forEach(r -> consumed.put(r.consumerGroup(), r.stream()));
    routes.forEach(r -> consumed.put(r.consumerGroup(), r.stream()));
    inboxes.forEach(r -> consumed.put(r.consumerGroup(), r.stream()));
    RetryPolicy retry = RetryPolicy.PROCESSING;
    Map<String, String> deadLetters = new LinkedHashMap<>();
    if (!node.isMissingNode() && !node.isNull()) {
      requireObject(yaml, node, "/processing");
      ObjectNode retryNode = ((ObjectNode) node).deepCopy();
      JsonNode named = retryNode.remove("deadLetters");
      retry = retry(yaml, retryNode, "/processing", RetryPolicy.PROCESSING);
      if (named != null && !named.isNull()) {
        requireObject(yaml, named, "/processing/deadLetters");
        for (Map.Entry<String, JsonNode> entry : named.properties()) {
          String at = "/processing/deadLetters/" + entry.getKey();
          if (!consumed.containsKey(entry.getKey())) {
            throw yaml.error(
                at,
                "'"
                    + entry.getKey()
                    + "' is no consumer; the consumers are "
                    + consumed.keySet()
                    + " (digest:<rule>, route:<route>, inbox:<inbox>)");
          }
          String stream = entry.getValue().asText();
          if (!entry.getValue().isTextual() || !stream.matches("[A-Za-z0-9._-]{1,200}")) {
            throw yaml.error(
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
          throw yaml.error(
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
      streams.putIfAbsent(deadLetterStream, StreamConfig.unlimited(deadLetterStream));
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
            log,
            http);
    try {
      Backends.checkPairing(settings.store(), settings.log());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
    return settings;
  }

  private static ServerSettings store(LocatedYaml yaml, JsonNode node, ServerSettings server) {
    if (node.isMissingNode() || node.isNull()) {
      return server;
    }
    if (node.isTextual()) {
      return server.withStore(
          checkStore(node.textValue(), () -> yaml.error("/store", storeProblem(node.textValue()))),
          server.storePrefix());
    }
    requireObject(yaml, node, "/store");
    allowOnly(yaml, node, "/store", Set.of("url", "prefix"));
    String url = text(yaml, node, "/store", "url").orElse("sqlite");
    return server.withStore(
        checkStore(url, () -> yaml.error("/store/url", storeProblem(url))),
        text(yaml, node, "/store", "prefix").orElse(server.storePrefix()));
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
  private static ServerSettings log(LocatedYaml yaml, JsonNode node, ServerSettings server) {
    if (node.isMissingNode() || node.isNull()) {
      return server;
    }
    if (!node.isTextual()) {
      throw yaml.error(
          "/log",
          "log must be the URL of the store the event log comes from, like redis://localhost:6379/0, but was "
              + node);
    }
    String url =
        checkStore(node.textValue(), () -> yaml.error("/log", storeProblem(node.textValue())));
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

  private static ServerSettings server(LocatedYaml yaml, JsonNode node) {
    ServerSettings defaults =
        new ServerSettings(
            "0.0.0.0",
            8080,
            Path.of("data"),
            ServerSettings.DEFAULT_MAX_BODY,
            Durability.PROCESS_CRASH,
            "sqlite",
            "herald:",
            Optional.empty(),
            HttpSettings.DEFAULT);
    if (node.isMissingNode() || node.isNull()) {
      return defaults;
    }
    requireObject(yaml, node, "/server");
    allowOnly(
        yaml,
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
    String host = text(yaml, node, "/server", "host").orElse(defaults.host());
    int port =
        node.has("port")
            ? integer(yaml, node.get("port"), "/server/port", 0, 65535)
            : defaults.port();
    Path data = text(yaml, node, "/server", "data").map(Path::of).orElse(defaults.data());
    long maxBody = defaults.maxBodyBytes();
    if (node.has("maxBodySize")) {
      String raw = node.get("maxBodySize").asText();
      maxBody =
          parseSize(raw)
              .orElseThrow(
                  () ->
                      yaml.error(
                          "/server/maxBodySize",
                          "must be a size like 1MiB, 512KiB or 1048576, but was " + raw));
    }
    Durability sync = defaults.durability();
    if (node.has("sync")) {
      String raw = node.get("sync").asText();
      sync =
          parseSync(raw)
              .orElseThrow(
                  () -> yaml.error("/server/sync", "must be normal or full, but was " + raw));
    }
    return new ServerSettings(
        host,
        port,
        data,
        maxBody,
        sync,
        defaults.store(),
        defaults.storePrefix(),
        defaults.log(),
        http(yaml, node));
  }

  private static HttpSettings http(LocatedYaml yaml, JsonNode node) {
    HttpSettings d = HttpSettings.DEFAULT;
    OptionalInt maxConnections =
        node.has("maxConnections")
            ? OptionalInt.of(
                integer(yaml, node.get("maxConnections"), "/server/maxConnections", 1, 10_000_000))
            : d.maxConnections();
    List<String> origins = new ArrayList<>();
    JsonNode originsNode = node.path("allowedOrigins");
    if (!originsNode.isMissingNode() && !originsNode.isNull()) {
      if (!originsNode.isArray()) {
        throw yaml.error(
            "/server/allowedOrigins",
            "allowedOrigins must be a list of origins like [https://ops.example.com], but was "
                + originsNode);
      }
      for (int i = 0; i < originsNode.size(); i++) {
        String origin = originsNode.get(i).asText();
        if (!originsNode.get(i).isTextual() || !origin.matches("https?://[^/?#\\s]+")) {
          throw yaml.error(
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
                      yaml.error(
                          "/server/maxResponseSize",
                          "must be a size like 4MiB, 512KiB or 1048576, but was " + raw));
    }
    return new HttpSettings(
        maxConnections,
        optionalDuration(yaml, node, "/server", "idleTimeout").orElse(d.idleTimeout()),
        optionalDuration(yaml, node, "/server", "headerTimeout").orElse(d.headerTimeout()),
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

  private static Map<String, StreamConfig> streams(LocatedYaml yaml, JsonNode node) {
    Map<String, StreamConfig> streams = new LinkedHashMap<>();
    if (node.isMissingNode() || node.isNull()) {
      return streams;
    }
    requireObject(yaml, node, "/streams");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/streams/" + name;
      if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
        throw yaml.error(
            at, "a stream name may hold letters, digits, '.', '_' and '-', but was '" + name + "'");
      }
      JsonNode body = entry.getValue();
      OptionalLong maxLength = OptionalLong.empty();
      Optional<Duration> maxAge = Optional.empty();
      boolean external = false;
      if (!body.isNull()) {
        requireObject(yaml, body, at);
        allowOnly(yaml, body, at, Set.of("maxLength", "maxAge", "external"));
        if (body.has("maxLength")) {
          maxLength =
              OptionalLong.of(
                  integer(yaml, body.get("maxLength"), at + "/maxLength", 1, Integer.MAX_VALUE));
        }
        maxAge = optionalDuration(yaml, body, at, "maxAge");
        if (body.has("external")) {
          if (!body.get("external").isBoolean()) {
            throw yaml.error(
                at + "/external",
                "external must be true or false, but was " + body.get("external"));
          }
          external = body.get("external").booleanValue();
        }
      }
      streams.put(name, new StreamConfig(name, maxLength, maxAge, external));
    }
    streams.putIfAbsent(
        HeraldConfig.FAILED_STREAM, StreamConfig.unlimited(HeraldConfig.FAILED_STREAM));
    return streams;
  }

  private static List<DigestRule> digests(
      LocatedYaml yaml, JsonNode node, Map<String, StreamConfig> streams) {
    List<DigestRule> rules = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return rules;
    }
    requireObject(yaml, node, "/digests");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      rules.add(digest(yaml, entry.getKey(), entry.getValue(), streams));
    }
    return rules;
  }

  private static DigestRule digest(
      LocatedYaml yaml, String name, JsonNode node, Map<String, StreamConfig> streams) {
    String at = "/digests/" + name;
    requireObject(yaml, node, at);
    allowOnly(
        yaml,
        node,
        at,
        Set.of(
            "stream",
            "groupBy",
            "collect",
            "quietPeriod",
            "maxWait",
            "maxItems",
            "timeField",
            "deliver"));
    String stream =
        text(yaml, node, at, "stream")
            .orElseThrow(() -> yaml.error(at, "a digest rule needs 'stream': the stream it reads"));
    if (!streams.containsKey(stream)) {
      throw yaml.error(
          at + "/stream",
          "stream '" + stream + "' is not declared under streams; declared: " + streams.keySet());
    }
    String groupBy =
        text(yaml, node, at, "groupBy")
            .orElseThrow(
                () ->
                    yaml.error(
                        at, "a digest rule needs 'groupBy': the field holding the recipient key"));
    List<String> collect = collect(yaml, node.get("collect"), at + "/collect");
    Duration quiet =
        optionalDuration(yaml, node, at, "quietPeriod")
            .orElseThrow(
                () ->
                    yaml.error(
                        at,
                        "a digest rule needs 'quietPeriod', an ISO-8601 duration such as PT1H"));
    Optional<Duration> maxWait = optionalDuration(yaml, node, at, "maxWait");
    OptionalInt maxItems =
        node.has("maxItems")
            ? OptionalInt.of(
                integer(yaml, node.get("maxItems"), at + "/maxItems", 1, Integer.MAX_VALUE))
            : OptionalInt.empty();
    Optional<String> timeField = text(yaml, node, at, "timeField");
    List<Sink> deliver = deliver(yaml, node.get("deliver"), at + "/deliver", streams);
    return new DigestRule(
        name, stream, groupBy, collect, quiet, maxWait, maxItems, timeField, deliver);
  }

  private static List<String> collect(LocatedYaml yaml, JsonNode node, String at) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (node.isTextual()) {
      return List.of(node.textValue());
    }
    if (node.isArray() && !node.isEmpty()) {
      List<String> fields = new ArrayList<>();
      for (JsonNode field : node) {
        if (!field.isTextual()) {
          throw yaml.error(at, "collect lists field names, but holds " + field);
        }
        fields.add(field.textValue());
      }
      return fields;
    }
    throw yaml.error(
        at,
        "collect must be a field name, a list of field names, or omitted for the whole event, but was "
            + node);
  }

  private static List<Sink> deliver(
      LocatedYaml yaml, JsonNode node, String at, Map<String, StreamConfig> streams) {
    if (node == null || node.isNull()) {
      return List.of(new LogSink());
    }
    if (!node.isArray()) {
      throw yaml.error(
          at, "deliver must be a list of sinks (log, stream: NAME, webhook: URL), but was " + node);
    }
    List<Sink> sinks = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      Sink sink = sink(yaml, node.get(i), at + "/" + i, streams);
      if (sinks.stream().anyMatch(s -> s.name().equals(sink.name()))) {
        throw yaml.error(
            at + "/" + i,
            "sink " + sink.name() + " is listed twice; give each webhook its own 'name'");
      }
      sinks.add(sink);
    }
    return sinks;
  }

  private static Sink sink(
      LocatedYaml yaml, JsonNode node, String at, Map<String, StreamConfig> streams) {
    if (node.isTextual() && node.textValue().equals("log")) {
      return new LogSink();
    }
    if (node.isObject() && node.has("stream")) {
      allowOnly(yaml, node, at, Set.of("stream"));
      String stream = node.get("stream").asText();
      if (!streams.containsKey(stream)) {
        throw yaml.error(
            at,
            "stream '" + stream + "' is not declared under streams; declared: " + streams.keySet());
      }
      return new StreamSink(stream);
    }
    if (node.isObject() && node.has("webhook")) {
      allowOnly(yaml, node, at, Set.of("webhook", "secret", "name"));
      String url = node.get("webhook").asText();
      Optional<String> name = text(yaml, node, at, "name");
      if (name.isPresent() && !name.get().matches("[A-Za-z0-9._-]{1,100}")) {
        throw yaml.error(
            at + "/name",
            "a webhook's name may hold letters, digits, '.', '_' and '-', but was '"
                + name.get()
                + "'");
      }
      try {
        URI uri = new URI(url);
        WebhookSink sink = WebhookSink.of(uri, text(yaml, node, at, "secret"));
        return name.map(n -> new WebhookSink(n, uri, sink.secret())).orElse(sink);
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw yaml.error(
            at + "/webhook",
            "webhook must be an http or https URL, but was " + Redaction.redact(url));
      }
    }
    throw yaml.error(
        at,
        "a sink is 'log', 'stream: NAME' or 'webhook: URL' (with an optional 'secret'), but was "
            + node);
  }

  private static Map<String, DirectoryConfig> directories(
      LocatedYaml yaml, JsonNode node, Path configFile) {
    Map<String, DirectoryConfig> directories = new LinkedHashMap<>();
    if (node.isMissingNode() || node.isNull()) {
      return directories;
    }
    requireObject(yaml, node, "/directories");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/directories/" + name;
      requireObject(yaml, entry.getValue(), at);
      allowOnly(yaml, entry.getValue(), at, Set.of("file", "entries"));
      JsonNode inline = entry.getValue().get("entries");
      Optional<String> file = text(yaml, entry.getValue(), at, "file");
      if (file.isPresent() == (inline != null)) {
        throw yaml.error(
            at,
            "a directory needs either 'file' (a JSON file like {\"Brand1\": [1, 2]}) or 'entries', not both");
      }
      if (inline != null) {
        try {
          directories.put(
              name, new DirectoryConfig(Directory.parse(name, inline), Optional.empty()));
        } catch (InvalidDirectoryException e) {
          throw yaml.error(at + "/entries", "directory '" + name + "': " + e.getMessage());
        }
        continue;
      }
      Path path = configFile.toAbsolutePath().getParent().resolve(file.get()).normalize();
      directories.put(
          name, new DirectoryConfig(DirectoryFiles.read(name, path), Optional.of(path)));
    }
    return directories;
  }

  private static List<RouteRule> routes(
      LocatedYaml yaml,
      JsonNode node,
      Map<String, StreamConfig> streams,
      Map<String, DirectoryConfig> directories) {
    List<RouteRule> routes = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return routes;
    }
    requireObject(yaml, node, "/routes");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/routes/" + name;
      JsonNode body = entry.getValue();
      requireObject(yaml, body, at);
      allowOnly(
          yaml,
          body,
          at,
          Set.of("stream", "by", "directory", "to", "invalid", "recipientField", "checkField"));
      String stream = declaredStream(yaml, body, at, "stream", streams, "the stream it reads");
      String by =
          text(yaml, body, at, "by")
              .orElseThrow(
                  () -> yaml.error(at, "a route needs 'by': the field looked up in the directory"));
      String directory =
          text(yaml, body, at, "directory")
              .orElseThrow(() -> yaml.error(at, "a route needs 'directory'"));
      if (!directories.containsKey(directory)) {
        throw yaml.error(
            at + "/directory",
            "directory '"
                + directory
                + "' is not declared under directories; declared: "
                + directories.keySet());
      }
      String to =
          declaredStream(yaml, body, at, "to", streams, "the stream routed events are written to");
      String invalid =
          declaredStream(
              yaml, body, at, "invalid", streams, "the stream unroutable events are written to");
      try {
        routes.add(
            new RouteRule(
                name,
                stream,
                by,
                directory,
                to,
                invalid,
                text(yaml, body, at, "recipientField").orElse(RouteRule.DEFAULT_RECIPIENT_FIELD),
                text(yaml, body, at, "checkField").orElse(RouteRule.DEFAULT_CHECK_FIELD)));
      } catch (IllegalArgumentException e) {
        throw yaml.error(at, e.getMessage());
      }
    }
    return routes;
  }

  private static List<InboxRule> inboxes(
      LocatedYaml yaml, JsonNode node, Map<String, StreamConfig> streams) {
    List<InboxRule> inboxes = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return inboxes;
    }
    requireObject(yaml, node, "/inboxes");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/inboxes/" + name;
      JsonNode body = entry.getValue();
      requireObject(yaml, body, at);
      allowOnly(
          yaml,
          body,
          at,
          Set.of("stream", "recipient", "itemKey", "staleAfter", "dedupeWindow", "ackTimeout"));
      if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
        throw yaml.error(
            at, "an inbox name may hold letters, digits, '.', '_' and '-', but was '" + name + "'");
      }
      String stream = declaredStream(yaml, body, at, "stream", streams, "the stream it reads");
      String recipient =
          text(yaml, body, at, "recipient").orElse(RouteRule.DEFAULT_RECIPIENT_FIELD);
      String itemKey =
          text(yaml, body, at, "itemKey")
              .orElseThrow(
                  () -> yaml.error(at, "an inbox needs 'itemKey': the field identifying an item"));
      Duration staleAfter =
          optionalDuration(yaml, body, at, "staleAfter").orElse(Duration.ofHours(1));
      Duration dedupe =
          optionalDuration(yaml, body, at, "dedupeWindow").orElse(InboxRule.DEFAULT_DEDUPE_WINDOW);
      Duration ackTimeout =
          optionalDuration(yaml, body, at, "ackTimeout").orElse(InboxRule.DEFAULT_ACK_TIMEOUT);
      inboxes.add(new InboxRule(name, stream, recipient, itemKey, staleAfter, dedupe, ackTimeout));
    }
    return inboxes;
  }

  private static AlertSettings alerts(
      LocatedYaml yaml, JsonNode node, Map<String, StreamConfig> streams) {
    AlertSettings settings = AlertSettings.DEFAULT;
    if (!node.isMissingNode() && !node.isNull()) {
      requireObject(yaml, node, "/alerts");
      allowOnly(yaml, node, "/alerts", Set.of("stream", "checkEvery"));
      settings =
          new AlertSettings(
              node.has("stream") ? alertsStream(yaml, node.get("stream")) : settings.stream(),
              optionalDuration(yaml, node, "/alerts", "checkEvery").orElse(settings.checkEvery()));
    }
    streams.putIfAbsent(settings.stream(), StreamConfig.unlimited(settings.stream()));
    return settings;
  }

  /** The alerts stream is declared for the board, as the default one is, when it is not yet. */
  private static String alertsStream(LocatedYaml yaml, JsonNode value) {
    if (!value.isTextual() || !value.asText().matches("[A-Za-z0-9._-]{1,200}")) {
      throw yaml.error(
          "/alerts/stream",
          "the alerts stream is a stream name of 1 to 200 letters, digits, '.', '_' or '-', but"
              + " was "
              + value);
    }
    return value.asText();
  }

  private static LiveSettings live(
      LocatedYaml yaml, JsonNode topicsNode, JsonNode node, Map<String, StreamConfig> streams) {
    List<String> topics = new ArrayList<>();
    if (!topicsNode.isMissingNode() && !topicsNode.isNull()) {
      if (!topicsNode.isArray()) {
        throw yaml.error(
            "/topics",
            "topics must be a list of stream names offered by /chat, like [chat.general, chat.random]");
      }
      for (int i = 0; i < topicsNode.size(); i++) {
        String name = topicsNode.get(i).asText();
        if (!topicsNode.get(i).isTextual() || !name.matches("[A-Za-z0-9._-]{1,200}")) {
          throw yaml.error(
              "/topics/" + i,
              "a topic is a stream name of letters, digits, '.', '_' and '-', but was "
                  + topicsNode.get(i));
        }
        topics.add(name);
        streams.putIfAbsent(name, StreamConfig.unlimited(name));
      }
    }
    LiveSettings d = LiveSettings.DEFAULT;
    if (node.isMissingNode() || node.isNull()) {
      return new LiveSettings(topics, d.heartbeat(), d.maxLag(), d.ringCapacity());
    }
    requireObject(yaml, node, "/live");
    allowOnly(yaml, node, "/live", Set.of("heartbeat", "maxLag", "ringCapacity"));
    int maxLag =
        node.has("maxLag")
            ? integer(yaml, node.get("maxLag"), "/live/maxLag", 1, 1_000_000)
            : d.maxLag();
    int ring =
        node.has("ringCapacity")
            ? integer(yaml, node.get("ringCapacity"), "/live/ringCapacity", 1, 10_000_000)
            : Math.max(d.ringCapacity(), maxLag);
    if (ring < maxLag) {
      throw yaml.error(
          "/live/ringCapacity",
          "ringCapacity must be at least maxLag (" + maxLag + "), but was " + ring);
    }
    return new LiveSettings(
        topics,
        optionalDuration(yaml, node, "/live", "heartbeat").orElse(d.heartbeat()),
        maxLag,
        ring);
  }

  private static String declaredStream(
      LocatedYaml yaml,
      JsonNode body,
      String at,
      String field,
      Map<String, StreamConfig> streams,
      String what) {
    String stream =
        text(yaml, body, at, field)
            .orElseThrow(() -> yaml.error(at, "'" + field + "' is required: " + what));
    if (!streams.containsKey(stream)) {
      throw yaml.error(
          at + "/" + field,
          "stream '" + stream + "' is not declared under streams; declared: " + streams.keySet());
    }
    return stream;
  }

  /** A retry policy at {@code at}: each setting missing there is the default's. */
  private static RetryPolicy retry(
      LocatedYaml yaml, JsonNode node, String at, RetryPolicy defaults) {
    if (node.isMissingNode() || node.isNull()) {
      return defaults;
    }
    requireObject(yaml, node, at);
    allowOnly(yaml, node, at, Set.of("maxAttempts", "initialBackoff", "maxBackoff", "jitter"));
    int attempts =
        node.has("maxAttempts")
            ? integer(yaml, node.get("maxAttempts"), at + "/maxAttempts", 1, 1000)
            : defaults.maxAttempts();
    double jitter = defaults.jitter();
    if (node.has("jitter")) {
      JsonNode value = node.get("jitter");
      if (!value.isNumber() || value.doubleValue() < 0 || value.doubleValue() > 1) {
        throw yaml.error(
            at + "/jitter",
            "jitter is the share of a wait drawn at random, a number from 0 to 1, but was "
                + value);
      }
      jitter = value.doubleValue();
    }
    Duration initial =
        optionalDuration(yaml, node, at, "initialBackoff").orElse(defaults.initialBackoff());
    Duration max = optionalDuration(yaml, node, at, "maxBackoff").orElse(defaults.maxBackoff());
    if (max.compareTo(initial) < 0) {
      throw yaml.error(
          at + "/maxBackoff",
          "maxBackoff (" + max + ") is shorter than initialBackoff (" + initial + ")");
    }
    return new RetryPolicy(attempts, initial, max, jitter);
  }

  private static void requireObject(LocatedYaml yaml, JsonNode node, String at) {
    if (!node.isObject()) {
      throw yaml.error(at, "must be a mapping, but was " + node);
    }
  }

  private static void allowOnly(LocatedYaml yaml, JsonNode node, String at, Set<String> allowed) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw yaml.error(
            at + "/" + name,
            "unknown setting '" + name + "'; allowed here: " + new java.util.TreeSet<>(allowed));
      }
    }
  }

  private static Optional<String> text(LocatedYaml yaml, JsonNode parent, String at, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isValueNode()) {
      throw yaml.error(at + "/" + field, field + " must be text, but was " + node);
    }
    return Optional.of(node.asText());
  }

  private static int integer(LocatedYaml yaml, JsonNode node, String at, int min, int max) {
    if (!node.canConvertToInt()
        || !node.isIntegralNumber()
        || node.intValue() < min
        || node.intValue() > max) {
      throw yaml.error(
          at, "must be a whole number from " + min + " to " + max + ", but was " + node);
    }
    return node.intValue();
  }

  private static Optional<Duration> optionalDuration(
      LocatedYaml yaml, JsonNode parent, String at, String field) {
    Optional<String> raw = text(yaml, parent, at, field);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      Duration duration = Duration.parse(raw.get());
      if (duration.isNegative() || duration.isZero()) {
        throw yaml.error(at + "/" + field, field + " must be positive, but was " + raw.get());
      }
      return Optional.of(duration);
    } catch (DateTimeParseException e) {
      throw yaml.error(
          at + "/" + field,
          field
              + " must be an ISO-8601 duration such as PT1H, PT30M or PT5S, but was "
              + raw.get());
    }
  }
}
