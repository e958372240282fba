-- What the public pages show (issue 11): distributors' names in kk/ru/en. A film's
-- `public_roi` flag (the ministry publishes its budget, funding and recoupment) is a column
-- added to `films` by `schemas::ddl::ADDED_COLUMNS`. Every version is also in
-- `registry_history`.
CREATE TABLE IF NOT EXISTS distributors (
    bin String,
    name_kk String,
    name_ru String,
    name_en String,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY bin;
