package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.HeraldException;
import dev.herald.json.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herald reviews push}: sends demo reviews, valid or not, for the brands of a directory. */
@Command(
    name = "reviews",
    mixinStandardHelpOptions = true,
    description = "Demo review traffic.",
    subcommands = ReviewsCommand.Push.class)
public final class ReviewsCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description =
          "Post reviews with random ids: --valid ones name a user responsible for the brand, --invalid ones a user who is not.")
  static final class Push implements Callable<Integer> {

    @Option(names = "--valid", description = "How many valid reviews (default: ${DEFAULT-VALUE}).")
    int valid = 10;

    @Option(
        names = "--invalid",
        description =
            "How many reviews naming a user outside the brand (default: ${DEFAULT-VALUE}).")
    int invalid = 0;

    @Option(
        names = "--updates",
        description =
            "Share of valid reviews that update an earlier one, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double updates = 0.2;

    @Option(names = "--stream", description = "Stream to post to (default: ${DEFAULT-VALUE}).")
    String stream = "reviews";

    @Option(
        names = "--directory",
        description = "Directory of brands and their users (default: ${DEFAULT-VALUE}).")
    String directory = "brand-users";

    @Option(names = "--seed", description = "Random seed, for repeatable runs.")
    Long seed;

    @Option(
        names = "--server",
        description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
    String server = HeraldClient.defaultServer();

    @Override
    public Integer call() {
      if (valid < 0 || invalid < 0 || updates < 0 || updates > 1) {
        throw new HeraldException(
            "--valid and --invalid must be at least 0, and --updates from 0 to 1");
      }
      HeraldClient client = new HeraldClient(server);
      JsonNode entries = client.get("api/directories/" + HeraldClient.encode(directory));
      List<String> brands = new ArrayList<>();
      Set<String> everyUser = new HashSet<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = entries.properties().iterator();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (!entry.getValue().isEmpty()) {
          brands.add(entry.getKey());
        }
        entry.getValue().forEach(u -> everyUser.add(u.asText()));
      }
      if (brands.isEmpty()) {
        throw new HeraldException(
            "directory '" + directory + "' has no brand with users; nothing to review");
      }
      Random random = seed == null ? new Random() : new Random(seed);
      List<ObjectNode> reviews = new ArrayList<>();
      List<ObjectNode> created = new ArrayList<>();
      for (int i = 0; i < valid; i++) {
        ObjectNode review;
        if (!created.isEmpty() && random.nextDouble() < updates) {
          review = created.get(random.nextInt(created.size())).deepCopy();
          review.put("action", "updated");
        } else {
          String brand = brands.get(random.nextInt(brands.size()));
          JsonNode users = entries.get(brand);
          review =
              review(brand, "r" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36), "created");
          review.set("user_id", users.get(random.nextInt(users.size())));
          created.add(review);
        }
        review.put("stars", 1 + random.nextInt(5));
        reviews.add(review);
      }
      for (int i = 0; i < invalid; i++) {
        String brand = brands.get(random.nextInt(brands.size()));
        Set<String> responsible = new HashSet<>();
        entries.get(brand).forEach(u -> responsible.add(u.asText()));
        List<String> outsiders =
            everyUser.stream().filter(u -> !responsible.contains(u)).sorted().toList();
        String outsider =
            outsiders.isEmpty() ? "999999" : outsiders.get(random.nextInt(outsiders.size()));
        ObjectNode review =
            review(brand, "r" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36), "created");
        review.set(
            "user_id",
            outsider.matches("[0-9]{1,18}")
                ? Json.MAPPER.valueToTree(Long.parseLong(outsider))
                : Json.MAPPER.valueToTree(outsider));
        reviews.add(review);
      }
      java.util.Collections.shuffle(reviews, random);
      for (int from = 0; from < reviews.size(); from += 1000) {
        ArrayNode batch = Json.array();
        reviews.subList(from, Math.min(reviews.size(), from + 1000)).forEach(batch::add);
        client.post("api/streams/" + HeraldClient.encode(stream) + "/events", Json.write(batch));
      }
      System.out.println(
          "pushed "
              + valid
              + " valid and "
              + invalid
              + " invalid reviews to stream '"
              + stream
              + "'");
      return 0;
    }

    private static ObjectNode review(String brand, String id, String action) {
      ObjectNode review = Json.object();
      review.put("brand", brand);
      review.put("review_id", id);
      review.put("action", action);
      return review;
    }
  }
}
