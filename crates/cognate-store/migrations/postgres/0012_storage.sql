-- Storage: buckets, object metadata and multipart uploads. An object's bytes are blobs in the
-- blob store, listed in order in object_segments; keys are data, never paths. Keys sort by
-- their bytes, as S3 lists them (SQLite's BINARY collation; "C" on PostgreSQL).
CREATE TABLE buckets (
    name TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL,
    document TEXT COLLATE "C" NOT NULL
);
CREATE TABLE objects (
    bucket TEXT COLLATE "C" NOT NULL REFERENCES buckets(name),
    object_key TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT COLLATE "C" NOT NULL,
    modified_at BIGINT NOT NULL,
    document TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (bucket, object_key)
);
CREATE TABLE object_segments (
    bucket TEXT COLLATE "C" NOT NULL,
    object_key TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    blob TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (bucket, object_key, seq),
    FOREIGN KEY (bucket, object_key) REFERENCES objects(bucket, object_key) ON DELETE CASCADE
);
CREATE INDEX object_segments_by_blob ON object_segments (blob);
CREATE TABLE uploads (
    id TEXT COLLATE "C" PRIMARY KEY,
    bucket TEXT COLLATE "C" NOT NULL REFERENCES buckets(name),
    object_key TEXT COLLATE "C" NOT NULL,
    owner TEXT COLLATE "C" NOT NULL,
    initiated_at BIGINT NOT NULL,
    document TEXT COLLATE "C" NOT NULL
);
CREATE INDEX uploads_by_key ON uploads (bucket, object_key, id);
CREATE TABLE upload_parts (
    upload_id TEXT COLLATE "C" NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    blob TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT COLLATE "C" NOT NULL,
    modified_at BIGINT NOT NULL,
    checksum TEXT COLLATE "C",
    PRIMARY KEY (upload_id, number)
);
CREATE INDEX upload_parts_by_blob ON upload_parts (blob);
