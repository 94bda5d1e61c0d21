-- IAM (roles, users, access keys, inline and managed policies) and identity pools (pools,
-- identities, the logins linked to them). Names are unique without regard to case, so each
-- entity is keyed by its lowercased name; the record itself is one JSON document.
CREATE TABLE iam_roles (
    name_key TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE iam_users (
    name_key TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE iam_inline_policies (
    owner_kind TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner_key, name_key)
);
CREATE TABLE iam_managed_policies (
    arn TEXT PRIMARY KEY,
    name_key TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL
);
CREATE TABLE iam_role_attachments (
    role_key TEXT NOT NULL,
    policy_arn TEXT NOT NULL REFERENCES iam_managed_policies(arn),
    PRIMARY KEY (role_key, policy_arn)
);
CREATE TABLE iam_access_keys (
    id TEXT PRIMARY KEY,
    user_key TEXT NOT NULL,
    user_name TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys (user_key, id);

CREATE TABLE identity_pools (
    id TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES identity_pools(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX identities_by_pool ON identities (pool_id, id);
CREATE TABLE identity_logins (
    pool_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX identity_logins_by_identity ON identity_logins (identity_id);
