-- Integrity: one event id one meaning, refunds bound to their sales, voids, corrections to
-- closed days, and what the upload route refused. Runs after 001 on new and existing
-- databases alike (CREATE … IF NOT EXISTS; the new columns of 001's tables are added by
-- `schemas::ddl::ADDED_COLUMNS`, since 18.16 has no ADD COLUMN IF NOT EXISTS).

-- Accepted voids. The voided row itself is re-inserted into ticket_events with `voided_by`
-- set (a newer version), so raw reads need only `voided_by = ''`; this table keeps the void
-- as sent, for the audit, the corrections list and ingest's index after a restart.
CREATE TABLE IF NOT EXISTS event_voids (
    cinema_bin String,
    event_id String,
    voids String,
    reason String,
    occurred_at DateTime,
    arrived_at DateTime,
    target_day Date,
    target_film String,
    fingerprint UInt64,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    backfill UInt8
) ENGINE = ReplacingMergeTree(arrived_at)
ORDER BY (cinema_bin, event_id);

-- Refunds whose sale was unknown when they arrived: kept with every column of a ticket row,
-- counted nowhere, listed in reconciliation until their sale arrives (then a row of
-- ticket_events counts it, or rejected_events holds its verdict at its own Kafka position)
-- or a void drops it (event_voids). Written once: the status is read from those tables.
CREATE TABLE IF NOT EXISTS pending_refunds (
    event_id String,
    event_type Enum8('sale' = 1, 'refund' = 2),
    cinema_bin String,
    hall String,
    screening_id String,
    film_id String,
    day Date,
    show_start DateTime,
    occurred_at DateTime,
    price_tiyn Int64,
    vat_rate_x10000 UInt32,
    qty Int8,
    gross_tiyn Int64,
    net_tiyn Int64,
    seat_row String,
    seat_number String,
    channel Enum8('box_office' = 1, 'online' = 2, 'kiosk' = 3, 'partner' = 4),
    ticket_type Enum8('full' = 1, 'child' = 2, 'student' = 3, 'senior' = 4, 'discount' = 5, 'invitation' = 6),
    refund_of String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime,
    arrived_at DateTime,
    voided_by String,
    fingerprint UInt64,
    backfill UInt8
) ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (cinema_bin, event_id);

-- Accepted events that arrived after their group's day had closed (a late sale, a refund, a
-- void), with the change each made: what turns a final day into a corrected one.
CREATE TABLE IF NOT EXISTS corrections (
    day Date,
    cinema_bin String,
    film_id String,
    event_id String,
    kind String,
    d_admissions Int64,
    d_gross_tiyn Int64,
    d_net_tiyn Int64,
    arrived_at DateTime,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64
) ENGINE = ReplacingMergeTree(arrived_at)
ORDER BY (day, cinema_bin, film_id, event_id);

-- Lines of `POST /v1/tickets` refused by the API itself (never produced to Kafka), with the
-- same reason codes as rejected_events; shown to the uploading cinema with its other rejects.
CREATE TABLE IF NOT EXISTS upload_rejects (
    cinema_bin String,
    upload_id String,
    line UInt32,
    received_at DateTime,
    key_id String,
    reason String,
    field String,
    message String,
    payload_encoding String,
    payload String,
    payload_bytes UInt32,
    payload_truncated UInt8
) ENGINE = ReplacingMergeTree(received_at)
ORDER BY (cinema_bin, upload_id, line);
