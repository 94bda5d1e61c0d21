-- User pools, their keys and clients, users, sessions, codes and the outbox.
-- All text uses the "C" collation: byte order, as SQLite compares, so prefix ranges and paging agree.
CREATE TABLE user_pools (
    id TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL,
    document TEXT COLLATE "C" NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    token_use TEXT COLLATE "C" NOT NULL,
    sealed_private_key BYTEA NOT NULL,
    n TEXT COLLATE "C" NOT NULL,
    e TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id, created_at);

CREATE TABLE app_clients (
    id TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    document TEXT COLLATE "C" NOT NULL,
    sealed_secret BYTEA
);
CREATE INDEX app_clients_by_pool ON app_clients (pool_id, id);

CREATE TABLE users (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    sub TEXT COLLATE "C" NOT NULL,
    username TEXT COLLATE "C" NOT NULL,
    username_key TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    enabled BIGINT NOT NULL,
    password_hash TEXT COLLATE "C",
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    last_failed_sign_in BIGINT,
    temporary_password_expires BIGINT,
    PRIMARY KEY (pool_id, sub),
    UNIQUE (pool_id, username_key)
);

CREATE TABLE user_attributes (
    pool_id TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool_id, sub, name),
    FOREIGN KEY (pool_id, sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX user_attributes_by_value ON user_attributes (pool_id, name, value);

CREATE TABLE sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    user_sub TEXT COLLATE "C" NOT NULL,
    refresh_token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (pool_id, user_sub);

CREATE TABLE verification_codes (
    pool_id TEXT COLLATE "C" NOT NULL,
    user_sub TEXT COLLATE "C" NOT NULL,
    purpose TEXT COLLATE "C" NOT NULL,
    code_hash TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, user_sub, purpose),
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    username TEXT COLLATE "C" NOT NULL,
    destination TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    sealed_body BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
