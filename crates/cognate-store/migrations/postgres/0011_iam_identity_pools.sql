-- IAM (roles, users, access keys, inline and managed policies) and identity pools (pools,
-- identities, the logins linked to them). Names are unique without regard to case, so each
-- entity is keyed by its lowercased name; the record itself is one JSON document.
CREATE TABLE iam_roles (
    name_key TEXT COLLATE "C" PRIMARY KEY,
    document TEXT COLLATE "C" NOT NULL
);
CREATE TABLE iam_users (
    name_key TEXT COLLATE "C" PRIMARY KEY,
    document TEXT COLLATE "C" NOT NULL
);
CREATE TABLE iam_inline_policies (
    owner_kind TEXT COLLATE "C" NOT NULL,
    owner_key TEXT COLLATE "C" NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    document TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner_kind, owner_key, name_key)
);
CREATE TABLE iam_managed_policies (
    arn TEXT COLLATE "C" PRIMARY KEY,
    name_key TEXT COLLATE "C" NOT NULL UNIQUE,
    document TEXT COLLATE "C" NOT NULL
);
CREATE TABLE iam_role_attachments (
    role_key TEXT COLLATE "C" NOT NULL,
    policy_arn TEXT COLLATE "C" NOT NULL REFERENCES iam_managed_policies(arn),
    PRIMARY KEY (role_key, policy_arn)
);
CREATE TABLE iam_access_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_key TEXT COLLATE "C" NOT NULL,
    user_name TEXT COLLATE "C" NOT NULL,
    sealed_secret BYTEA NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys (user_key, id);

CREATE TABLE identity_pools (
    id TEXT COLLATE "C" PRIMARY KEY,
    document TEXT COLLATE "C" NOT NULL
);
CREATE TABLE identities (
    id TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES identity_pools(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX identities_by_pool ON identities (pool_id, id);
CREATE TABLE identity_logins (
    pool_id TEXT COLLATE "C" NOT NULL,
    provider TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    identity_id TEXT COLLATE "C" NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX identity_logins_by_identity ON identity_logins (identity_id);
