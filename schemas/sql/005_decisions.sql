-- Claim decisions are serialised through a one-partition Kafka topic and applied by the one
-- API process that holds it (api/core/src/decider.rs). Each request's outcome is kept here, under
-- the request's id, so the API process that took the request can answer it, and a request
-- delivered twice (after a rebalance) is applied once.
CREATE TABLE IF NOT EXISTS claim_decisions (
    request_id String,
    claim_id String,
    at DateTime,
    -- ok, bad_request, not_found, conflict, internal
    outcome String,
    field String,
    detail String
) ENGINE = ReplacingMergeTree(at)
ORDER BY request_id;
