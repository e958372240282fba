-- Web sessions (issue 12): a signed-in browser's session, one row per version, the highest
-- `version` in force (read with FINAL). Only SHA-256 of the session id (the cookie's value)
-- is stored, so a reader of this table cannot sign in as anyone. The session carries its
-- key's id, not its role or scope: those are read from the key at every request, so a
-- revoked or expired key ends its sessions. `seen_at` is rewritten at most once a minute
-- (idle expiry is 30 minutes); `expires_at` is the absolute end (12 hours, never past the
-- key's own expiry); `ended` = 1 after sign-out. `csrf` is the token every form of the
-- session must carry. ClickHouse 18.16 has no TTL: ended and expired rows stay, a few
-- hundred bytes each (the audit log grows faster).
CREATE TABLE IF NOT EXISTS web_sessions (
    session_sha256 String,
    key_id String,
    csrf String,
    created_at DateTime,
    seen_at DateTime,
    expires_at DateTime,
    ended UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY session_sha256;
