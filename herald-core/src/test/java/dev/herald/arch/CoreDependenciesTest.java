package dev.herald.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Core depends on no framework, no driver and no server: only the JDK, SLF4J and Jackson. */
class CoreDependenciesTest {

  private final JavaClasses core =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.herald");

  @Test
  void shouldDependOnlyOnTheJdkSlf4jAndJackson() {
    classes()
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "dev.herald..", "java..", "javax.crypto..", "org.slf4j..", "com.fasterxml.jackson..")
        .check(core);
  }

  @Test
  void shouldNotReadTheSystemClockOutsideTheAgentRunner() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.herald.agent..")
        .should()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(java.time.Instant.class, "now")
        .check(core);
  }

  @Test
  void shouldHaveNoCyclesBetweenItsPackages() {
    com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices()
        .matching("dev.herald.(*)..")
        .should()
        .beFreeOfCycles()
        .check(core);
  }
}
