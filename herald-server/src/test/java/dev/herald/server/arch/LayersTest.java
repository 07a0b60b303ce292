package dev.herald.server.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layers hold across modules: core knows no backend and no server, a backend knows core and no
 * other backend, and only the server knows them all.
 */
class LayersTest {

  private final JavaClasses herald =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.herald");

  @Test
  void shouldKeepCoreBelowTheBackendsAndTheBackendsBelowTheServer() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("core")
        .definedBy(
            "dev.herald",
            "dev.herald.agent..",
            "dev.herald.alert..",
            "dev.herald.digest..",
            "dev.herald.imports..",
            "dev.herald.inbox..",
            "dev.herald.json..",
            "dev.herald.log..",
            "dev.herald.notify..",
            "dev.herald.process..",
            "dev.herald.retry..",
            "dev.herald.route..",
            "dev.herald.store..",
            "dev.herald.topic..")
        .layer("jdbc")
        .definedBy("dev.herald.jdbc..")
        .layer("sqlite")
        .definedBy("dev.herald.sqlite..")
        .layer("redis")
        .definedBy("dev.herald.redis..")
        .layer("postgres")
        .definedBy("dev.herald.postgres..")
        .layer("server")
        .definedBy("dev.herald.server..")
        .whereLayer("server")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("jdbc")
        .mayOnlyBeAccessedByLayers("sqlite", "postgres")
        .whereLayer("sqlite")
        .mayOnlyBeAccessedByLayers("server")
        .whereLayer("redis")
        .mayOnlyBeAccessedByLayers("server")
        .whereLayer("postgres")
        .mayOnlyBeAccessedByLayers("server")
        .check(herald);
  }

  @Test
  void shouldHaveNoCyclesBetweenTheServersPackages() {
    SlicesRuleDefinition.slices()
        .matching("dev.herald.server.(*)..")
        .should()
        .beFreeOfCycles()
        .check(herald);
  }

  @Test
  void shouldKeepEachJobOutOfTheOthers() {
    // a job is a room of its own: what two jobs share belongs to the server's shared packages
    List<String> jobs = List.of("digests", "reviews", "live");
    for (String job : jobs) {
      noClasses()
          .that()
          .resideInAPackage("dev.herald.server." + job + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              jobs.stream()
                  .filter(other -> !other.equals(job))
                  .map(other -> "dev.herald.server." + other + "..")
                  .toArray(String[]::new))
          .check(herald);
    }
  }

  @Test
  void shouldKeepTheSharedPackagesFreeOfJobs() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.herald.server.config..",
            "dev.herald.server.http..",
            "dev.herald.server.job..",
            "dev.herald.server.listener..",
            "dev.herald.server.metrics..",
            "dev.herald.server.ops..",
            "dev.herald.server.store..",
            "dev.herald.server.streams..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.herald.server.digests..",
            "dev.herald.server.reviews..",
            "dev.herald.server.live..")
        .check(herald);
  }
}
