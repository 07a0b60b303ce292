package dev.herald;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the secrets out of URLs before they are shown anywhere (API answers, health, error bodies,
 * logs, metric labels, stored delivery details): the one function every output goes through.
 *
 * <ul>
 *   <li>A password in the user part: {@code redis://:s3cret@host:6379/0} becomes {@code
 *       redis://:***@host:6379/0}, {@code redis://user:s3cret@host} becomes {@code
 *       redis://user:***@host}, and a user part without a colon, which Redis URLs read as the
 *       password, becomes {@code ***}.
 *   <li>The path and query of an http(s) URL with more than {@code /}: webhook URLs carry their
 *       secret there ({@code https://hooks.slack.com/services/T0/B0/XXXX}), so only the scheme,
 *       host and port are kept, followed by {@code /***}.
 *   <li>The query of any other URL, where a password parameter may sit.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class Redaction {

  private static final Pattern URL = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*)://([^\\s\"'<>`]+)");
  private static final String HIDDEN = "***";

  private Redaction() {}

  /** {@code text} with every URL in it redacted; text without URLs comes back as it is. */
  public static String redact(String text) {
    if (text == null || text.indexOf("://") < 0) {
      return text;
    }
    Matcher matcher = URL.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (matcher.find()) {
      matcher.appendReplacement(
          out, Matcher.quoteReplacement(url(matcher.group(1), matcher.group(2))));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static String url(String scheme, String rest) {
    int slash = indexOfAny(rest, "/?#");
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String tail = slash < 0 ? "" : rest.substring(slash);
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String user = authority.substring(0, at);
      int colon = user.indexOf(':');
      String shown = colon < 0 ? HIDDEN : user.substring(0, colon + 1) + HIDDEN;
      authority = shown + authority.substring(at);
    }
    String lower = scheme.toLowerCase(Locale.ROOT);
    if (lower.equals("http") || lower.equals("https")) {
      if (!tail.isEmpty() && !tail.equals("/")) {
        tail = "/" + HIDDEN;
      }
    } else {
      int query = indexOfAny(tail, "?#");
      if (query >= 0) {
        tail = tail.substring(0, query) + "?" + HIDDEN;
      }
    }
    return scheme + "://" + authority + tail;
  }

  private static int indexOfAny(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
