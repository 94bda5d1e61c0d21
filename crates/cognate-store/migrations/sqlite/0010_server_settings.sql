-- Facts about the deployment every server must agree on, such as the check value of the master
-- key the database's secrets are sealed with.
CREATE TABLE server_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
