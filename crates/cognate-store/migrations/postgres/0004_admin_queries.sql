-- Admin Queries APIs: user management over REST for some groups of a pool.
CREATE TABLE admin_queries_apis (
    id TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    document TEXT COLLATE "C" NOT NULL
);
CREATE INDEX admin_queries_apis_by_pool ON admin_queries_apis (pool_id, created_at);
