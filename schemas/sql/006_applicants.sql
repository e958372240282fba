-- Rebate applicants without a Kazakh BIN (the kz programme requires a foreign legal entity):
-- registered by the ministry with their country and foreign registration number, and given a
-- producer key scoped to the applicant instead of a BIN. A claim's applicant country is read
-- from here (a BIN holder's is KZ), never from the claim. `films`: the registered films the
-- applicant may link claims to. Every version is also in `registry_history`.
CREATE TABLE IF NOT EXISTS applicants (
    applicant_id String,
    name String,
    country String,
    registration_number String,
    films Array(String),
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY applicant_id;
