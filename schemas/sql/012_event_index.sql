-- The index of accepted events by id (issue 24, item 6): ingest remembers only recent events
-- and a filter of all the others, and asks this table about an id the filter has perhaps
-- seen. `ticket_events` is sorted by day and film, so an id alone cannot be found there
-- without a scan; here it is the sorting key.
--
-- Filled by two materialized views on `ticket_events`, so a row is indexed exactly when its
-- ticket row is stored (a row ClickHouse refuses is never indexed) and in the same insert:
-- - role 1: every ticket row under its own id (every version: the voided one has voided = 1);
-- - role 2: every counted refund under its sale's id, so a lookup of a sale also finds the
--   refunds that count against it (`refund_of` is then the sale, `event_id` the refund).
-- Plain MergeTree: a replayed row adds a copy, which the reader folds (any version voided:
-- voided). Created after `ticket_events`' added columns (it reads `arrived_at`, `voided_by`,
-- `fingerprint`); a database that had tickets before it is indexed once by `ekino migrate`.
CREATE TABLE IF NOT EXISTS event_index (
    key_id String,
    role UInt8,
    event_id String,
    event_type Enum8('sale' = 1, 'refund' = 2),
    cinema_bin String,
    refund_of String,
    voided UInt8,
    film_id String,
    hall String,
    screening_id String,
    day Date,
    price_tiyn Int64,
    vat_rate_x10000 UInt32,
    arrived_at DateTime,
    fingerprint UInt64,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY key_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_index_by_id TO event_index AS
SELECT event_id AS key_id, toUInt8(1) AS role, event_id, event_type, cinema_bin, refund_of,
    toUInt8(voided_by != '') AS voided, film_id, hall, screening_id, day, price_tiyn,
    vat_rate_x10000, arrived_at, fingerprint, kafka_topic, kafka_partition, kafka_offset
FROM ticket_events;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_index_by_sale TO event_index AS
SELECT refund_of AS key_id, toUInt8(2) AS role, event_id, event_type, cinema_bin, refund_of,
    toUInt8(voided_by != '') AS voided, film_id, hall, screening_id, day, price_tiyn,
    vat_rate_x10000, arrived_at, fingerprint, kafka_topic, kafka_partition, kafka_offset
FROM ticket_events
WHERE event_type = 'refund';
