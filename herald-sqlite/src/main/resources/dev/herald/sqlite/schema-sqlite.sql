-- Herald schema for SQLite. Statements are portable DML-wise (ON CONFLICT, partial indexes);
-- only the DDL details (WITHOUT ROWID, INTEGER PRIMARY KEY) are SQLite's own.

CREATE TABLE IF NOT EXISTS herald_stream (
  id      INTEGER PRIMARY KEY,
  name    TEXT    NOT NULL UNIQUE,
  last_id INTEGER NOT NULL DEFAULT 0
);

-- One row the database rewrites to learn whether the file can be written again after a write
-- failed for want of space (readiness probes with it while writes fail).
CREATE TABLE IF NOT EXISTS herald_probe (
  id    INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS herald_event (
  stream_id INTEGER NOT NULL,
  id        INTEGER NOT NULL,
  time_ms   INTEGER NOT NULL,
  data      TEXT    NOT NULL,
  PRIMARY KEY (stream_id, id)
) WITHOUT ROWID;

-- Appends made with a client's Idempotency-Key (schema 5): the ids they got, consecutive, until
-- the key expires; a retry with the key appends nothing and gets the same ids.
CREATE TABLE IF NOT EXISTS herald_idempotency (
  stream_id   INTEGER NOT NULL,
  key         TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  first_id    INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL,
  PRIMARY KEY (stream_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS herald_idempotency_expiry ON herald_idempotency (expires_ms);

CREATE TABLE IF NOT EXISTS herald_group (
  stream_id      INTEGER NOT NULL,
  name           TEXT    NOT NULL,
  last_delivered INTEGER NOT NULL,
  PRIMARY KEY (stream_id, name)
) WITHOUT ROWID;

-- Pending (delivered, unacknowledged) events of a group, as runs of consecutive ids: a consumer
-- reads and acknowledges whole batches, so one row per batch replaces one row per event.
CREATE TABLE IF NOT EXISTS herald_pending (
  stream_id    INTEGER NOT NULL,
  group_name   TEXT    NOT NULL,
  first_id     INTEGER NOT NULL,
  last_id      INTEGER NOT NULL,
  consumer     TEXT    NOT NULL,
  delivered_ms INTEGER NOT NULL,
  deliveries   INTEGER NOT NULL,
  PRIMARY KEY (stream_id, group_name, first_id)
) WITHOUT ROWID;

-- An open bucket holds its items inline, one line each ("<time_ms> <json>\n"), appended by the
-- update that moves its deadline: adding an item writes no other row at a random place.
-- The closer's index is on wake_ms, a lower bound of due_ms that adding an item leaves alone
-- (schema 3; a schema 2 file gets the column, set to due_ms, when opened).
CREATE TABLE IF NOT EXISTS digest_bucket (
  id         INTEGER PRIMARY KEY,
  rule       TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  open_event TEXT    NOT NULL,
  first_ms   INTEGER NOT NULL,
  last_ms    INTEGER NOT NULL,
  due_ms     INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  items      TEXT    NOT NULL,
  wake_ms    INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS digest_bucket_key ON digest_bucket (rule, key);
DROP INDEX IF EXISTS digest_bucket_due;
CREATE INDEX IF NOT EXISTS digest_bucket_wake ON digest_bucket (rule, wake_ms);

-- Every event id a rule has taken, open or closed bucket alike, as runs of consecutive ids: a
-- redelivered event counts once. An engine adds a batch of consecutive ids at a time, which
-- extends the newest run, so the table holds a row per gap rather than a row per event.
CREATE TABLE IF NOT EXISTS digest_taken (
  rule     TEXT    NOT NULL,
  first_id INTEGER NOT NULL,
  last_id  INTEGER NOT NULL,
  PRIMARY KEY (rule, first_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS notification (
  seq        INTEGER PRIMARY KEY,
  id         TEXT    NOT NULL UNIQUE,
  rule       TEXT    NOT NULL,
  recipient  TEXT    NOT NULL,
  items      TEXT    NOT NULL,
  first_ms   INTEGER NOT NULL,
  last_ms    INTEGER NOT NULL,
  due_ms     INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notification_recipient ON notification (recipient, seq);

CREATE TABLE IF NOT EXISTS delivery (
  notification_seq INTEGER NOT NULL,
  sink             TEXT    NOT NULL,
  state            TEXT    NOT NULL,
  attempts         INTEGER NOT NULL,
  next_ms          INTEGER,
  PRIMARY KEY (notification_seq, sink)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS delivery_due ON delivery (next_ms) WHERE state = 'PENDING';

CREATE TABLE IF NOT EXISTS delivery_attempt (
  notification_seq INTEGER NOT NULL,
  sink             TEXT    NOT NULL,
  number           INTEGER NOT NULL,
  at_ms            INTEGER NOT NULL,
  succeeded        INTEGER NOT NULL,
  detail           TEXT    NOT NULL,
  PRIMARY KEY (notification_seq, sink, number)
) WITHOUT ROWID;

-- Inboxes: one row per recipient with pending items or a pull record, written when its inbox
-- goes from empty to pending and when it is pulled. The partial index on the oldest pending
-- arrival lets the monitor find stale inboxes without scanning every inbox. (Schema 4: how many
-- items are pending is counted in memory from inbox_entry, not kept in this row.)
CREATE TABLE IF NOT EXISTS inbox (
  name           TEXT    NOT NULL,
  recipient      TEXT    NOT NULL,
  oldest_ms      INTEGER,
  last_pulled_ms INTEGER,
  PRIMARY KEY (name, recipient)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inbox_oldest ON inbox (name, oldest_ms) WHERE oldest_ms IS NOT NULL;

-- Pending inbox changes in arrival order, a row per batch's changes to one item: adding appends
-- at the end of this table instead of writing at a random place per recipient (schema 3 upserted
-- a row per recipient and item, keyed by recipient, and that capped routing at ~16,000
-- deliveries/s). Which rows each recipient has waiting is kept in memory and rebuilt from this
-- table when the file is opened; a pull reads its rows by seq, coalesces them by item key and
-- deletes them.
-- (Schema 5: pull_id, set while the entry is reserved by a pull that waits for its
-- acknowledgement; NULL while it is pending.)
CREATE TABLE IF NOT EXISTS inbox_entry (
  seq       INTEGER PRIMARY KEY,
  name      TEXT    NOT NULL,
  recipient TEXT    NOT NULL,
  item_key  TEXT    NOT NULL,
  changes   INTEGER NOT NULL,
  first_ms  INTEGER NOT NULL,
  last_ms   INTEGER NOT NULL,
  data      TEXT    NOT NULL,
  pull_id   TEXT
);
CREATE INDEX IF NOT EXISTS inbox_entry_pull ON inbox_entry (pull_id) WHERE pull_id IS NOT NULL;

-- Pulls whose items wait for their acknowledgement until until_ms, then are pending again.
CREATE TABLE IF NOT EXISTS inbox_pull (
  name      TEXT    NOT NULL,
  pull_id   TEXT    NOT NULL,
  recipient TEXT    NOT NULL,
  pulled_ms INTEGER NOT NULL,
  until_ms  INTEGER NOT NULL,
  items     INTEGER NOT NULL,
  PRIMARY KEY (name, pull_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inbox_pull_until ON inbox_pull (name, until_ms);
CREATE INDEX IF NOT EXISTS inbox_pull_recipient ON inbox_pull (name, recipient);

-- Deliveries taken within the dedupe window (a redelivered or re-routed event counts once).
CREATE TABLE IF NOT EXISTS inbox_seen (
  name      TEXT    NOT NULL,
  dedupe_id TEXT    NOT NULL,
  at_ms     INTEGER NOT NULL,
  PRIMARY KEY (name, dedupe_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inbox_seen_at ON inbox_seen (name, at_ms);
