-- Users of the example shop. Runs unchanged on SQLite and PostgreSQL.
-- tandem:up
CREATE TABLE users (
  id         bigint PRIMARY KEY,
  email      text NOT NULL UNIQUE,
  created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- tandem:down
DROP TABLE users;
