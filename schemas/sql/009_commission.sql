-- The film commission's saved estimates (issue 12): a production it is advising, with the
-- estimate form's query exactly as the estimator and the briefing read it, so both open again
-- as they were saved (the rules and exchange rates of the day they are opened: the saved
-- `as_of` date fixes which programme version applies). One row per version, the highest
-- `version` in force (read with FINAL); deleting writes a version with `deleted` = 1, so
-- nothing the commission saved is lost from the table.
CREATE TABLE IF NOT EXISTS commission_estimates (
    estimate_id String,
    production String,
    query String,
    note String,
    saved_by String,
    saved_at DateTime,
    deleted UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY estimate_id;
