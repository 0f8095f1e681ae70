-- Accounts of the sample dApp. `id` is the stable random UUID used as the JWT
-- `sub`; `username_norm` (trimmed, lower-cased) makes usernames
-- case-insensitively unique while `username` keeps what the user typed.
CREATE TABLE users (
    id            TEXT    PRIMARY KEY NOT NULL,
    username      TEXT    NOT NULL,
    username_norm TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,          -- Argon2id PHC string
    created_at    INTEGER NOT NULL           -- Unix seconds
) STRICT;
