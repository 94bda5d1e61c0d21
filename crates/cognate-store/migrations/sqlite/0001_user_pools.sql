-- User pools, their keys and clients, users, sessions, codes and the outbox.
CREATE TABLE user_pools (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    document TEXT NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    token_use TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    n TEXT NOT NULL,
    e TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id, created_at);

CREATE TABLE app_clients (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    sealed_secret BLOB
);
CREATE INDEX app_clients_by_pool ON app_clients (pool_id, id);

CREATE TABLE users (
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    sub TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    status TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    last_failed_sign_in BIGINT,
    temporary_password_expires BIGINT,
    PRIMARY KEY (pool_id, sub),
    UNIQUE (pool_id, username_key)
);

CREATE TABLE user_attributes (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (pool_id, sub, name),
    FOREIGN KEY (pool_id, sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX user_attributes_by_value ON user_attributes (pool_id, name, value);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_sub TEXT NOT NULL,
    refresh_token_hash TEXT NOT NULL UNIQUE,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (pool_id, user_sub);

CREATE TABLE verification_codes (
    pool_id TEXT NOT NULL,
    user_sub TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, user_sub, purpose),
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    destination TEXT NOT NULL,
    subject TEXT NOT NULL,
    sealed_body BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
