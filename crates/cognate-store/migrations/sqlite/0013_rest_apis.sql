-- REST APIs behind the gateway: one JSON document each (stages and routes).
CREATE TABLE rest_apis (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    document TEXT NOT NULL
);
