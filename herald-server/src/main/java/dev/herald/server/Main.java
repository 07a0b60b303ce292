package dev.herald.server;

import dev.herald.server.cli.AlertsCommand;
import dev.herald.server.cli.InboxCommand;
import dev.herald.server.cli.NotificationsCommand;
import dev.herald.server.cli.PublishCommand;
import dev.herald.server.cli.ReviewsCommand;
import dev.herald.server.cli.ServerCommand;
import dev.herald.server.cli.SubscribeCommand;
import dev.herald.server.cli.WorkerCommand;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code herald} command line: {@code server}, {@code publish}, {@code notifications}. */
@Command(
    name = "herald",
    mixinStandardHelpOptions = true,
    version = "Herald 0.1.0",
    description =
        "Turns streams of domain events into timely, aggregated, reliably delivered notifications.",
    subcommands = {
      ServerCommand.class,
      WorkerCommand.class,
      PublishCommand.class,
      NotificationsCommand.class,
      ReviewsCommand.class,
      InboxCommand.class,
      AlertsCommand.class,
      SubscribeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof dev.herald.HeraldException) {
            commandLine.getErr().println("herald: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    System.exit(cli.execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
