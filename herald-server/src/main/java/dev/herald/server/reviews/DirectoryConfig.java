package dev.herald.server.reviews;

import dev.herald.route.Directory;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A declared directory and the file it was loaded from; a replacement through the API is written
 * back to that file, so it survives a restart.
 */
public record DirectoryConfig(Directory initial, Optional<Path> file) {}
