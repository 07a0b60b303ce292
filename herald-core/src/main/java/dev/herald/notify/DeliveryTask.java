package dev.herald.notify;

/**
 * A delivery that is due: the notification, the sink it goes to and which attempt this is.
 *
 * @param attempt 1 for the first attempt
 */
public record DeliveryTask(Notification notification, String sink, int attempt) {}
