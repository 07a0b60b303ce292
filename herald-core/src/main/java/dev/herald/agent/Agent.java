package dev.herald.agent;

/**
 * A unit of background work driven by one thread, in the shape of Agrona's agents: the runner calls
 * {@link #doWork()} in a loop and backs off while it returns 0.
 *
 * <p>Thread ownership: every method is called by the runner's thread only.
 */
public interface Agent {

  /** Does a bounded amount of work and returns how much was done; 0 means idle. */
  int doWork() throws Exception;

  /** Called once on the runner's thread after the last {@link #doWork()}. */
  default void onClose() {}

  /** The name of the thread that runs the agent. */
  String roleName();
}
