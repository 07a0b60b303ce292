-- Herald on PostgreSQL, version 1. Flyway applies it in the schema the store setting names
-- (search_path), so no name here is qualified. Times are epoch milliseconds of Herald's clock,
-- not the database's: tests and every instance read one clock, the one Herald was given.

-- Streams: ids of a stream are consecutive numbers from 1; appending bumps last_id in the same
-- transaction, so the row lock orders appends to one stream and ids become visible in order.
CREATE TABLE herald_stream (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    text   NOT NULL UNIQUE,
  last_id bigint NOT NULL DEFAULT 0
);

-- Events. Trimming deletes the oldest in batches; autovacuum is told to come early on this
-- table so that the space of trimmed rows is reused by new ones and the table stops growing at
-- about its retained size (the bloat test measures it).
CREATE TABLE herald_event (
  stream_id bigint NOT NULL,
  id        bigint NOT NULL,
  time_ms   bigint NOT NULL,
  data      text   NOT NULL,
  PRIMARY KEY (stream_id, id)
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE INDEX herald_event_time ON herald_event (stream_id, time_ms);

-- Appends made with a client's Idempotency-Key: the consecutive ids they got, until expiry.
CREATE TABLE herald_idempotency (
  stream_id   bigint NOT NULL,
  key         text   NOT NULL,
  fingerprint text   NOT NULL,
  first_id    bigint NOT NULL,
  count       int    NOT NULL,
  expires_ms  bigint NOT NULL,
  PRIMARY KEY (stream_id, key)
);
CREATE INDEX herald_idempotency_expiry ON herald_idempotency (expires_ms);

CREATE TABLE herald_group (
  stream_id      bigint NOT NULL,
  name           text   NOT NULL,
  last_delivered bigint NOT NULL,
  PRIMARY KEY (stream_id, name)
);

-- Pending (delivered, unacknowledged) events of a group, as runs of consecutive ids handed out
-- together: a consumer reads and acknowledges whole batches, so one row per batch.
CREATE TABLE herald_pending (
  stream_id    bigint NOT NULL,
  group_name   text   NOT NULL,
  first_id     bigint NOT NULL,
  last_id      bigint NOT NULL,
  consumer     text   NOT NULL,
  delivered_ms bigint NOT NULL,
  deliveries   int    NOT NULL,
  PRIMARY KEY (stream_id, group_name, first_id)
);
CREATE INDEX herald_pending_idle ON herald_pending (stream_id, group_name, delivered_ms);

-- Open digest buckets, items inline as lines "<time_ms> <json>\n" in the order they were added.
CREATE TABLE digest_bucket (
  rule       text   NOT NULL,
  key        text   NOT NULL,
  open_event text   NOT NULL,
  first_ms   bigint NOT NULL,
  last_ms    bigint NOT NULL,
  due_ms     bigint NOT NULL,
  count      int    NOT NULL,
  items      text   NOT NULL,
  PRIMARY KEY (rule, key)
);
CREATE INDEX digest_bucket_due ON digest_bucket (rule, due_ms);

-- The positions of the events each rule took, as runs of consecutive positions: a batch of
-- consecutive events is one row, and a redelivered event is found by a range lookup.
CREATE TABLE digest_taken (
  rule      text   NOT NULL,
  first_pos bigint NOT NULL,
  last_pos  bigint NOT NULL,
  PRIMARY KEY (rule, first_pos)
);

-- Counters handed out under their row lock: notification sequence numbers are taken as the last
-- step of the closing transaction, so they become visible in order and a reader following the
-- cursor never skips one committed late.
CREATE TABLE herald_counter (
  name  text   PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO herald_counter (name, value) VALUES ('notification', 0);

CREATE TABLE notification (
  seq        bigint NOT NULL PRIMARY KEY,
  id         text   NOT NULL UNIQUE,
  rule       text   NOT NULL,
  recipient  text   NOT NULL,
  items      text   NOT NULL,
  first_ms   bigint NOT NULL,
  last_ms    bigint NOT NULL,
  due_ms     bigint NOT NULL,
  created_ms bigint NOT NULL
);
CREATE INDEX notification_recipient ON notification (recipient, seq);
CREATE INDEX notification_rule ON notification (rule, seq);

CREATE TABLE delivery (
  notification_seq bigint NOT NULL,
  sink             text   NOT NULL,
  state            text   NOT NULL,
  attempts         int    NOT NULL,
  next_ms          bigint,
  PRIMARY KEY (notification_seq, sink)
);
CREATE INDEX delivery_due ON delivery (next_ms) WHERE state = 'PENDING';

CREATE TABLE delivery_attempt (
  notification_seq bigint  NOT NULL,
  sink             text    NOT NULL,
  number           int     NOT NULL,
  at_ms            bigint  NOT NULL,
  succeeded        boolean NOT NULL,
  detail           text    NOT NULL,
  PRIMARY KEY (notification_seq, sink, number)
);

-- Inboxes: one row per recipient with pending items or a pull record. oldest_ms is the arrival
-- of its oldest pending item (NULL when none), the key of the stale monitor's index.
CREATE TABLE inbox (
  name           text   NOT NULL,
  recipient      text   NOT NULL,
  oldest_ms      bigint,
  last_pulled_ms bigint,
  PRIMARY KEY (name, recipient)
);
CREATE INDEX inbox_oldest ON inbox (name, oldest_ms) WHERE oldest_ms IS NOT NULL;

-- Items of an inbox, coalesced by key: pull_id '' while pending, the pull's id while reserved.
-- data is that of the latest change by time (the later added on a tie); arrived_ms is when the
-- oldest pending change arrived, which the stale monitor goes by.
CREATE TABLE inbox_item (
  name       text   NOT NULL,
  recipient  text   NOT NULL,
  pull_id    text   NOT NULL,
  item_key   text   NOT NULL,
  changes    int    NOT NULL,
  first_ms   bigint NOT NULL,
  last_ms    bigint NOT NULL,
  arrived_ms bigint NOT NULL,
  data       text   NOT NULL,
  PRIMARY KEY (name, recipient, pull_id, item_key)
);

-- Pulls whose items wait for their acknowledgement until until_ms, then are pending again.
CREATE TABLE inbox_pull (
  name      text   NOT NULL,
  pull_id   text   NOT NULL,
  recipient text   NOT NULL,
  pulled_ms bigint NOT NULL,
  until_ms  bigint NOT NULL,
  items     int    NOT NULL,
  PRIMARY KEY (name, pull_id)
);
CREATE INDEX inbox_pull_until ON inbox_pull (name, until_ms);
CREATE INDEX inbox_pull_recipient ON inbox_pull (name, recipient);

-- Deliveries taken within the dedupe window (a redelivered or re-routed event counts once).
CREATE TABLE inbox_seen (
  name      text   NOT NULL,
  dedupe_id text   NOT NULL,
  at_ms     bigint NOT NULL,
  PRIMARY KEY (name, dedupe_id)
);
CREATE INDEX inbox_seen_at ON inbox_seen (name, at_ms);
