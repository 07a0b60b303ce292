package dev.herald.store;

/** How much an acknowledged write survives, as the {@code sync} setting names it. */
public enum Durability {
  /** A crash of the process ({@code sync: normal}). */
  PROCESS_CRASH,
  /**
   * A crash of the machine or a power loss too, at the cost of a sync per commit ({@code sync:
   * full}).
   */
  POWER_LOSS
}
