package dev.herald.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@code store:} URL of the form {@code postgresql://user:password@host:5432/db?param=value},
 * read into what pgjdbc takes: its JDBC URL (host, port, database and the query parameters, which
 * pgjdbc understands: {@code sslmode}, {@code connectTimeout}, ...), the user and the password.
 *
 * <p>The password comes from the URL, else from {@code HERALD_STORE_PASSWORD}, else pgjdbc reads
 * the PGPASSFILE (or {@code ~/.pgpass}) itself. It is kept out of {@link #toString()} and {@link
 * #describe()}, which are what logs and {@code /health} show.
 *
 * @param jdbcUrl the URL pgjdbc connects to, without user or password
 * @param user the user, if the URL names one (else pgjdbc's default, the OS user)
 * @param password the password, if the URL or the environment gives one
 * @param schema the schema Herald's tables live in
 */
public record PostgresUrl(
    String jdbcUrl, Optional<String> user, Optional<String> password, String schema) {

  /** The schema Herald uses unless told otherwise. */
  public static final String DEFAULT_SCHEMA = "herald";

  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public PostgresUrl {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    requireSchema(schema);
  }

  /** Whether {@code url} is of this family: {@code postgresql://} or {@code postgres://}. */
  public static boolean accepts(String url) {
    return url.startsWith("postgresql://") || url.startsWith("postgres://");
  }

  /**
   * Reads {@code url}.
   *
   * @param env the environment, for {@code HERALD_STORE_PASSWORD}
   * @throws IllegalArgumentException saying what is wrong with the URL (never showing its password)
   */
  public static PostgresUrl parse(String url, String schema, Map<String, String> env) {
    if (!accepts(url)) {
      throw new IllegalArgumentException(
          "a PostgreSQL store is postgresql://user:password@host:5432/database");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL is not a valid URL ("
              + e.getReason()
              + "); write it as postgresql://user:password@host:5432/database, with any @ : / in"
              + " the password percent-encoded");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL names no host: write postgresql://user:password@host:5432/database");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    if (database.isEmpty() || database.contains("/")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must name one database after the host, as in"
              + " postgresql://user@host:5432/database");
    }
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    String info = uri.getRawUserInfo();
    if (info != null && !info.isEmpty()) {
      int colon = info.indexOf(':');
      user = Optional.of(decode(colon < 0 ? info : info.substring(0, colon)));
      if (colon >= 0) {
        password = Optional.of(decode(info.substring(colon + 1)));
      }
    }
    if (password.isEmpty()) {
      password = Optional.ofNullable(env.get("HERALD_STORE_PASSWORD")).filter(p -> !p.isEmpty());
    }
    String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
    String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return new PostgresUrl(
        "jdbc:postgresql://" + hostPart + port + "/" + database + query, user, password, schema);
  }

  /** Refuses a schema name that would need quoting, saying which names are allowed. */
  public static String requireSchema(String schema) {
    Objects.requireNonNull(schema, "schema");
    if (!SCHEMA.matcher(schema).matches()) {
      throw new IllegalArgumentException(
          "a PostgreSQL schema for Herald is 1 to 63 lower-case letters, digits and _, not"
              + " starting with a digit, but was '"
              + schema
              + "'");
    }
    return schema;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** Where the store is, for logs and health: user, host, database and schema, no password. */
  public String describe() {
    String rest = jdbcUrl.substring("jdbc:postgresql://".length());
    int query = rest.indexOf('?');
    if (query >= 0) {
      rest = rest.substring(0, query);
    }
    return "postgresql://" + user.map(u -> u + "@").orElse("") + rest + " schema " + schema;
  }

  @Override
  public String toString() {
    return describe();
  }
}
