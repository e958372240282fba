-- Ministry keys by two people (issue 26): issuing a ministry key through the API, or revoking a
-- ministry key that would leave fewer than two, is a request that another ministry key approves
-- within 24 hours (`api_core::key_requests`). Both tables are append-only; a request is approved
-- when it has an approval. A ministry key issued by a request works only once approved.
CREATE TABLE IF NOT EXISTS api_key_requests (
    request_id String,
    action String,
    key_id String,
    requested_at DateTime,
    requested_by String,
    requester_key String,
    reason String
) ENGINE = MergeTree
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS api_key_approvals (
    request_id String,
    approved_at DateTime,
    approved_by String,
    approver_key String
) ENGINE = MergeTree
ORDER BY (request_id, approved_at);
