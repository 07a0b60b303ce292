package dev.herald.server.ops;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/** The dashboard at {@code /}; the pages Herald serves live in {@code dev/herald/server/web}. */
public final class DashboardRoutes implements HttpService {

  private final byte[] dashboard = page("dashboard.html");

  /** The page {@code name} from Herald's resources. */
  public static byte[] page(String name) {
    try (InputStream in =
        DashboardRoutes.class.getResourceAsStream("/dev/herald/server/web/" + name)) {
      return Objects.requireNonNull(in, name).readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends {@code page} as HTML that the browser checks again on each load. */
  public static void html(ServerResponse res, byte[] page) {
    res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    res.send(page);
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get("/", (req, res) -> html(res, dashboard));
  }
}
