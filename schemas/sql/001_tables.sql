-- ekino tables. Every statement runs on ClickHouse 18.16 and on current ClickHouse:
-- no LowCardinality, no Decimal, no time-zone conversion in SQL (the box-office day is
-- computed by ekino in UTC+5), no settings newer than 18.16.
--
-- Deduplication: ClickHouse 18.16 has no insert deduplication for plain MergeTree, and
-- ekino's ingest is at-least-once (a crash between insert and offset commit replays rows).
-- Raw tables are ReplacingMergeTree keyed so that a replayed or re-sent row has the same
-- sorting key as its first copy; every total is read with FINAL, so a duplicate row never
-- reaches a sum, whether or not a background merge has happened yet.

CREATE TABLE IF NOT EXISTS ticket_events (
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
    ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, film_id, cinema_bin, event_id);

-- Daily aggregates, recomputed from `ticket_events FINAL` for every group a batch touched
-- (schemas/src/rollup.rs): never incremented, so a replayed row cannot count twice. Read with
-- FINAL: the highest version of a group is its current figure. Column names differ from the
-- report aliases on purpose (18.16 resolves a same-named alias inside aggregates). Small
-- granules and no monthly partitions: a report reads one cinema's or one film's few hundred
-- rows, and FINAL merges whole granules (8,192 rows by default) of every part it touches
-- (one part at least per partition); both were the API's main cost under load on 18.16.
-- The aggregates stay small (a row per cinema, film and day), so one partition is enough.
-- One row per cinema, screening day and film: box office by cinema, scorecards, silence.
CREATE TABLE IF NOT EXISTS sales_by_cinema_day (
    cinema_bin String,
    day Date,
    film_id String,
    n_events UInt64,
    n_sales UInt64,
    n_refunds UInt64,
    qty_sum Int64,
    gross_sum Int64,
    net_sum Int64,
    n_halls UInt64,
    n_screenings UInt64,
    last_occurred_at DateTime,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (cinema_bin, day, film_id)
SETTINGS index_granularity = 256;

-- One row per film and screening day over all cinemas: the daily chart and ROI.
CREATE TABLE IF NOT EXISTS sales_by_film_day (
    film_id String,
    day Date,
    n_events UInt64,
    n_sales UInt64,
    n_refunds UInt64,
    qty_sum Int64,
    gross_sum Int64,
    net_sum Int64,
    n_cinemas UInt64,
    n_screens UInt64,
    n_screenings UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (film_id, day)
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS rejected_events (
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    kafka_key String,
    received_at DateTime,
    reason String,
    field String,
    message String,
    payload_encoding String,
    payload String,
    payload_bytes UInt32,
    payload_truncated UInt8
) ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(toDate(received_at))
ORDER BY (kafka_topic, kafka_partition, kafka_offset);

CREATE TABLE IF NOT EXISTS cinemas (
    bin String,
    name String,
    region String,
    city String,
    halls UInt16,
    seats UInt32,
    vat_payer UInt8,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY bin;

CREATE TABLE IF NOT EXISTS films (
    film_id String,
    title_kk String,
    title_ru String,
    title_en String,
    release_date Date,
    producer_bin String,
    distributor_bin String,
    national UInt8,
    budget_tiyn Int64,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY film_id;

CREATE TABLE IF NOT EXISTS film_funding (
    film_id String,
    payment_id String,
    paid_on Date,
    amount_tiyn Int64,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (film_id, payment_id);

-- The film's agreements: exhibitor share of net box office and the distributor's fee on
-- rentals, in units of 1/10,000. When none is recorded, ROI uses 50 % and 0 and says so.
CREATE TABLE IF NOT EXISTS film_agreements (
    film_id String,
    exhibitor_share_x10000 UInt32,
    distributor_fee_x10000 UInt32,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY film_id;

-- API keys: only a SHA-256 of the secret is stored.
CREATE TABLE IF NOT EXISTS api_keys (
    key_id String,
    secret_sha256 String,
    role String,
    bin String,
    created_at DateTime,
    revoked UInt8
) ENGINE = ReplacingMergeTree(created_at)
ORDER BY key_id;

-- Every authenticated API request, appended.
CREATE TABLE IF NOT EXISTS api_audit (
    at DateTime,
    key_id String,
    role String,
    method String,
    path String,
    query String,
    status UInt16,
    rows UInt64,
    latency_ms UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(toDate(at))
ORDER BY (at, key_id);

-- Rebate claims and their decisions: append-only events, one row per step, keyed so that a
-- retried write of the same step collapses. The current state is the last step.
CREATE TABLE IF NOT EXISTS claim_events (
    claim_id String,
    seq UInt32,
    at DateTime,
    kind String,
    key_id String,
    role String,
    bin String,
    film_id String,
    programme String,
    pool_year UInt16,
    rebate String,
    currency String,
    reason String,
    claim String,
    result String
) ENGINE = ReplacingMergeTree(at)
ORDER BY (claim_id, seq);
