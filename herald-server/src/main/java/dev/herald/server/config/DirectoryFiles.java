package dev.herald.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import dev.herald.route.Directory;
import dev.herald.route.InvalidDirectoryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

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
      throw new ConfigException(file + ": directory '" + name + "' cannot be read: the file does not exist");
    } catch (IOException e) {
      throw new ConfigException(file + ": directory '" + name + "' cannot be read: " + e.getMessage());
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new ConfigException(file + where + ": directory '" + name + "' is not valid JSON: " + e.getOriginalMessage());
    }
    try {
      return Directory.parse(name, json);
    } catch (InvalidDirectoryException e) {
      throw new ConfigException(file + ": directory '" + name + "': " + e.getMessage());
    }
  }

  /** Replaces {@code file} with {@code directory}, atomically: a crash leaves the old or the new file. */
  public static void write(Directory directory, Path file) {
    try {
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(directory.toJson()) + "\n");
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write directory '" + directory.name() + "' to " + file, e);
    }
  }
}
