-- Keys, registry history and official FX (issue 10). Keys: a label (the person or organisation) and an expiry on api_keys (columns
-- added by schemas::ddl::ADDED_COLUMNS), and revocations kept as their own append-only
-- records: who revoked which key, when and why. A key is revoked when it has any.
CREATE TABLE IF NOT EXISTS api_key_revocations (
    key_id String,
    revoked_at DateTime,
    revoked_by String,
    reason String
) ENGINE = MergeTree
ORDER BY (key_id, revoked_at);

-- Every version of every registry record (films, funding payments, agreements, cinemas),
-- append-only, with who wrote it and when: the registry tables keep only the newest.
CREATE TABLE IF NOT EXISTS registry_history (
    entity String,
    entity_id String,
    film_id String,
    at DateTime,
    by String,
    record String
) ENGINE = MergeTree
ORDER BY (entity, entity_id, at);

-- The official FX table (KZT per unit by date) the ministry loads (`ekino fx load`,
-- `PUT /v1/fx`): append-only, the latest load of a (date, currency) in force.
CREATE TABLE IF NOT EXISTS fx_official (
    date Date,
    currency String,
    kzt String,
    loaded_at DateTime,
    by String
) ENGINE = MergeTree
ORDER BY (currency, date, loaded_at);
