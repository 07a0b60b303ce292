package dev.herald.route;

/**
 * Expands each event of {@code stream} into one event per recipient of the event's {@code by} value
 * in {@code directory}, written to {@code to} with the recipient in {@code recipientField}. An
 * event that names its recipient already (in {@code checkField}) goes to that recipient alone, if
 * the directory lists it for the key. What cannot be routed goes to {@code invalid} with the
 * reason.
 *
 * @param name unique name of the route
 * @param stream the stream it reads
 * @param by the field whose value is looked up in the directory
 * @param directory the directory's name
 * @param to the stream routed events are written to
 * @param invalid the stream unroutable events are written to
 * @param recipientField the field routed events carry their recipient in
 * @param checkField the field with which an event names its own recipient
 */
public record RouteRule(
    String name,
    String stream,
    String by,
    String directory,
    String to,
    String invalid,
    String recipientField,
    String checkField) {

  public static final String DEFAULT_RECIPIENT_FIELD = "recipient";
  public static final String DEFAULT_CHECK_FIELD = "user_id";

  public RouteRule {
    for (var field :
        new String[][] {
          {"name", name},
          {"stream", stream},
          {"by", by},
          {"directory", directory},
          {"to", to},
          {"invalid", invalid},
          {"recipientField", recipientField},
          {"checkField", checkField}
        }) {
      if (field[1] == null || field[1].isBlank()) {
        throw new IllegalArgumentException(field[0] + " must not be empty");
      }
    }
    if (stream.equals(to) || stream.equals(invalid)) {
      throw new IllegalArgumentException(
          "route '" + name + "' must not write to the stream it reads ('" + stream + "')");
    }
  }

  /** The consumer group the route reads its stream through. */
  public String consumerGroup() {
    return "route:" + name;
  }

  public static RouteRule of(
      String name, String stream, String by, String directory, String to, String invalid) {
    return new RouteRule(
        name, stream, by, directory, to, invalid, DEFAULT_RECIPIENT_FIELD, DEFAULT_CHECK_FIELD);
  }
}
