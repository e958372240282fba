-- Truth, not format (issue 25): halls, declared sessions and the signals read from them.

-- The hall registry (application database): the seats of each hall of a cinema, by the hall
-- key its tickets carry. One row per version (`updated_at`), the newest in force under FINAL;
-- a removed hall is a version with `deleted` = 1, so its history stays.
CREATE TABLE IF NOT EXISTS halls (
    bin String,
    hall String,
    seats UInt32,
    name String,
    deleted UInt8,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (bin, hall);

-- Online ticket sellers registered with the ministry (application database): their records
-- are a second source for the tickets cinemas report through channel `partner`.
CREATE TABLE IF NOT EXISTS partners (
    partner_id String,
    name String,
    bin String,
    deleted UInt8,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY partner_id;

-- Partners' own records (events database, written by ingest from the partner topic): one row
-- per (partner, order, type), the first judgement kept (`first_judged`, as declared_sessions),
-- so an order sent twice counts once. Read per cinema day (the month partition, then `day`).
CREATE TABLE IF NOT EXISTS partner_sales (
    partner_id String,
    order_id String,
    record_type Enum8('sale' = 1, 'refund' = 2),
    cinema_bin String,
    day Date,
    screening_id String,
    show_start DateTime,
    tickets Int32,
    gross_tiyn Int64,
    occurred_at DateTime,
    arrived_at DateTime,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime,
    first_judged UInt32
) ENGINE = ReplacingMergeTree(first_judged)
PARTITION BY toYYYYMM(day)
ORDER BY (partner_id, order_id, record_type);

-- Declared sessions (events database, written by ingest from the sessions topic): every
-- declaration is kept, one row per message. A replayed message's row has the same sorting
-- key; `first_judged` (4294967295 minus ingested_at) makes FINAL keep the *first* row, so the
-- arrival a message was first judged with never changes. A session's declaration in force is
-- its latest by declared_at, then arrival (schemas/src/declared.rs).
CREATE TABLE IF NOT EXISTS declared_sessions (
    cinema_bin String,
    day Date,
    screening_id String,
    hall String,
    film_id String,
    show_start DateTime,
    ends_at DateTime,
    seats_on_sale UInt32,
    status Enum8('scheduled' = 1, 'cancelled' = 2),
    declared_at DateTime,
    arrived_at DateTime,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime,
    first_judged UInt32
) ENGINE = ReplacingMergeTree(first_judged)
PARTITION BY toYYYYMM(day)
ORDER BY (cinema_bin, day, screening_id, kafka_topic, kafka_partition, kafka_offset);

-- Signals (application database): where a cinema's figures cannot be true, one row per
-- (cinema, day, kind, session) and version; the newest version is in force (FINAL), and a
-- signal that no longer holds gets a version with `active` = 0. Written by the API's signal
-- watcher as data arrives (api/core/src/signals), never computed per request.
CREATE TABLE IF NOT EXISTS signals (
    cinema_bin String,
    day Date,
    kind String,
    screening_id String,
    film_id String,
    hall String,
    evidence String,
    gross_at_stake_tiyn Int64,
    first_seen DateTime,
    last_seen DateTime,
    active UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (cinema_bin, day, kind, screening_id)
SETTINGS index_granularity = 256;

-- Inspectors' head counts (application database): the people a ministry inspector counted in
-- a running session, every count kept (one row per count; `version` orders a correction
-- written within the same second). The signal head_count_gap compares the highest count of a
-- session with the admissions stored for it.
CREATE TABLE IF NOT EXISTS head_counts (
    cinema_bin String,
    day Date,
    screening_id String,
    counted UInt32,
    counted_at DateTime,
    counted_by String,
    note String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (cinema_bin, day, screening_id, counted_at);

-- How far the signal watcher has looked (application database): changes before `version`
-- (microseconds) have been evaluated, so a restarted watcher starts there.
CREATE TABLE IF NOT EXISTS signal_progress (
    watcher String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY watcher;

-- Cases the ministry opens from signals (application database): what the case rests on, as
-- the signals stood when it was opened (their evidence copied, so a later change of a signal
-- does not rewrite a case), and the estimates made from them. Written once; what happens next
-- is in `case_steps`.
CREATE TABLE IF NOT EXISTS cases (
    case_id String,
    cinema_bin String,
    opened_at DateTime,
    opened_by String,
    signals String,
    unreported_gross_tiyn Int64,
    withheld_rentals_tiyn Int64,
    note String
) ENGINE = ReplacingMergeTree(opened_at)
ORDER BY (cinema_bin, case_id);

-- Every step of a case (application database), one row each, in order of `seq`
-- (microseconds): opened, notice (the ministry's letter to the cinema, in kk or ru), reply
-- (the cinema's answer), decision (a step of the ladder `api.cases.ladder`, or none). A case's
-- state is read from its steps, never stored beside them.
CREATE TABLE IF NOT EXISTS case_steps (
    case_id String,
    cinema_bin String,
    seq UInt64,
    at DateTime,
    author String,
    role String,
    step String,
    lang String,
    text String,
    decision String,
    amount_tiyn Int64
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (cinema_bin, case_id, seq);

-- A cinema's explanations of its own signals (application database), every one kept; the
-- latest (by `seq`, microseconds) is shown beside the signal to the cinema and the ministry.
CREATE TABLE IF NOT EXISTS signal_explanations (
    cinema_bin String,
    day Date,
    kind String,
    screening_id String,
    seq UInt64,
    written_at DateTime,
    written_by String,
    text String
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (cinema_bin, day, kind, screening_id, seq);
