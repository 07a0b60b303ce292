package dev.herald.server.reviews;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import dev.herald.route.Directory;
import dev.herald.route.InvalidDirectoryException;
import dev.herald.server.config.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Reads and writes directory files, the JSON users keep: {@code {"Brand1": [1, 2]}}. */
public final class DirectoryFiles {

  private DirectoryFiles() {}

  /**
   * Reads the directory in {@code file}.
   *
   * @throws ConfigException naming the file, and the line or the entry, when it cannot be used
   */
  public static Directory read(String name, Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(
          file + ": directory '" + name + "' cannot be read: the file does not exist");
    } catch (IOException e) {
      throw new ConfigException(
          file + ": directory '" + name + "' cannot be read: " + e.getMessage());
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new ConfigException(
          file + where + ": directory '" + name + "' is not valid JSON: " + e.getOriginalMessage());
    }
    try {
      return Directory.parse(name, json);
    } catch (InvalidDirectoryException e) {
      throw new ConfigException(file + ": directory '" + name + "': " + e.getMessage());
    }
  }

  /**
   * Replaces {@code file} with {@code directory}, atomically: a crash leaves the old or the new
   * file. The new content goes to a temporary file created fresh (a random name, opened with
   * create-new, so a link planted beside the file is never followed), synced, then moved over the
   * file.
   *
   * @throws DirectoryWriteException when it cannot be written; {@code file} is left as it was
   */
  public static void write(Directory directory, Path file) {
    Path temp = null;
    try {
      temp =
          Files.createTempFile(
              file.toAbsolutePath().getParent(), "." + file.getFileName() + ".", ".tmp");
      byte[] json =
          (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(directory.toJson())
                  + "\n")
              .getBytes(StandardCharsets.UTF_8);
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        channel.write(ByteBuffer.wrap(json));
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
    } catch (IOException e) {
      throw new DirectoryWriteException(
          "directory '"
              + directory.name()
              + "' could not be written to its file "
              + file.getFileName()
              + " ("
              + e.getClass().getSimpleName()
              + "); it was not changed",
          e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // left behind: a fresh name next time
        }
      }
    }
  }

  /** A directory could not be written back to its file. */
  public static final class DirectoryWriteException extends dev.herald.HeraldException {
    DirectoryWriteException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
