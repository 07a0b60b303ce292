package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald inbox pull|clean|list}: work with per-recipient inboxes of a running server. */
@Command(
    name = "inbox",
    mixinStandardHelpOptions = true,
    description = "Pull, clean and list per-recipient inboxes.",
    subcommands = {
      InboxCommand.Pull.class,
      InboxCommand.Clean.class,
      InboxCommand.ListInboxes.class
    })
public final class InboxCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** Options every inbox command shares. */
  static final class Target {
    @Option(names = "--inbox", description = "Inbox set (default: ${DEFAULT-VALUE}).")
    String inbox = "reviews";

    @Option(
        names = "--server",
        description = "Herald server URL (default: $HERALD_URL, else http://localhost:8080).")
    String server = HeraldClient.defaultServer();

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    String path() {
      return "api/inboxes/" + HeraldClient.encode(inbox);
    }
  }

  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description = "Take every pending item of a user, or of every user with --all.")
  static final class Pull implements Callable<Integer> {

    static final class Who {
      @Parameters(paramLabel = "USER", description = "The recipient whose inbox to pull.")
      String user;

      @Option(names = "--all", description = "Pull every inbox with pending items.")
      boolean all;
    }

    @ArgGroup(multiplicity = "1")
    Who who;

    @picocli.CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() {
      HeraldClient client = new HeraldClient(target.server);
      List<String> users = new ArrayList<>();
      if (who.all) {
        String after = "";
        while (true) {
          JsonNode page =
              client.get(
                  target.path()
                      + "?limit=1000"
                      + (after.isEmpty() ? "" : "&after=" + HeraldClient.encode(after)));
          page.path("inboxes")
              .forEach(
                  i -> {
                    if (i.path("pending").asLong() > 0) {
                      users.add(i.path("recipient").asText());
                    }
                  });
          if (page.path("next").isNull() || page.path("next").isMissingNode()) {
            break;
          }
          after = page.path("next").asText();
        }
      } else {
        users.add(who.user);
      }
      long items = 0;
      for (String user : users) {
        String inbox = target.path() + "/" + HeraldClient.encode(user);
        JsonNode pull = client.post(inbox + "/pull", "");
        items += pull.path("items").size();
        if (target.json) {
          System.out.println(Json.write(pull));
        } else {
          System.out.println(
              "user "
                  + user
                  + ": "
                  + pull.path("items").size()
                  + " item(s), pulled at "
                  + pull.path("pulledAt").asText());
          for (JsonNode item : pull.path("items")) {
            System.out.println(
                "  "
                    + item.path("key").asText()
                    + "  ("
                    + item.path("changes").asInt()
                    + " change(s), last "
                    + item.path("lastAt").asText()
                    + ")  "
                    + Json.write(item.path("data")));
          }
        }
        // printed, so taken: a pull the command did not live to acknowledge comes back after the
        // inbox's ackTimeout
        System.out.flush();
        if (pull.hasNonNull("pullId")) {
          client.post(
              inbox + "/pull/" + HeraldClient.encode(pull.path("pullId").asText()) + "/ack", "");
        }
      }
      if (who.all && !target.json) {
        System.out.println("pulled " + users.size() + " inbox(es), " + items + " item(s)");
      }
      return 0;
    }
  }

  @Command(
      name = "clean",
      mixinStandardHelpOptions = true,
      description = "Remove a user's inbox and its pull record.")
  static final class Clean implements Callable<Integer> {
    @Parameters(paramLabel = "USER", description = "The recipient whose inbox to remove.")
    String user;

    @picocli.CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() {
      new HeraldClient(target.server).delete(target.path() + "/" + HeraldClient.encode(user));
      System.out.println("cleaned inbox " + target.inbox + "/" + user);
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List inboxes, or only the stale ones with --stale.")
  static final class ListInboxes implements Callable<Integer> {
    @Option(
        names = "--stale",
        description = "Only inboxes whose oldest item waited longer than staleAfter.")
    boolean stale;

    @picocli.CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() {
      JsonNode page =
          new HeraldClient(target.server)
              .get(target.path() + "?limit=1000" + (stale ? "&stale=true" : ""));
      for (JsonNode inbox : page.path("inboxes")) {
        System.out.println(
            target.json
                ? Json.write(inbox)
                : inbox.path("recipient").asText()
                    + "  pending "
                    + inbox.path("pending").asLong()
                    + "  oldest "
                    + inbox.path("oldestPendingAt").asText("-")
                    + "  last pulled "
                    + inbox.path("lastPulledAt").asText("never")
                    + (inbox.path("stale").asBoolean() ? "  STALE" : ""));
      }
      if (page.path("inboxes").isEmpty() && !target.json) {
        System.out.println(stale ? "no stale inbox" : "no inbox");
      }
      return 0;
    }
  }
}
