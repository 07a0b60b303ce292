package dev.herald.server.reviews;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.route.Directories;
import dev.herald.route.Directory;
import dev.herald.route.InvalidDirectoryException;
import dev.herald.server.http.EventBodies;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Objects;

/** {@code /api/directories}: read and replace the directories routes look recipients up in. */
public final class DirectoryRoutes implements HttpService {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(DirectoryRoutes.class);

  private final Directories directories;
  private final EventBodies bodies;

  public DirectoryRoutes(Directories directories, long maxBodyBytes) {
    this.directories = Objects.requireNonNull(directories, "directories");
    this.bodies = new EventBodies(maxBodyBytes);
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get("/", this::list).get("/{name}", this::get).put("/{name}", this::replace);
  }

  private Directory directory(ServerRequest req) {
    String name = req.path().pathParameters().get("name");
    return directories
        .get(name)
        .orElseThrow(
            () ->
                ProblemException.notFound(
                    "unknown-directory",
                    "directory '"
                        + name
                        + "' is not declared; directories: "
                        + directories.names()));
  }

  private void list(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("directories");
    for (String name : directories.names()) {
      Directory directory = directories.get(name).orElseThrow();
      ObjectNode json = array.addObject();
      json.put("name", name);
      json.put("keys", directory.entries().size());
      json.put(
          "recipients",
          directory.entries().values().stream().flatMap(java.util.List::stream).distinct().count());
    }
    HttpJson.send(res, 200, body);
  }

  private void get(ServerRequest req, ServerResponse res) {
    HttpJson.send(res, 200, directory(req).toJson());
  }

  private void replace(ServerRequest req, ServerResponse res) {
    Directory current = directory(req);
    Directory replacement;
    try {
      replacement = Directory.parse(current.name(), bodies.document(req));
    } catch (InvalidDirectoryException e) {
      throw ProblemException.badRequest(
          "directory '"
              + current.name()
              + "': "
              + e.getMessage()
              + "; the directory was not changed");
    }
    try {
      directories.replace(replacement);
    } catch (DirectoryFiles.DirectoryWriteException e) {
      LOG.error("{}: {}", e.getMessage(), e.getCause().toString());
      throw new ProblemException(500, "directory-not-written", e.getMessage());
    }
    HttpJson.send(res, 200, replacement.toJson());
  }
}
