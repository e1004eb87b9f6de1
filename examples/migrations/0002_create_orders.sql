-- tandem:up
CREATE TABLE orders (
  id           bigint PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id),
  total_amount integer NOT NULL,   -- cents; issue #3's example turns this into minor units + currency
  note         text DEFAULT 'thanks; see you soon'  -- a quoted semicolon survives splitting
);
CREATE INDEX orders_user_id_idx ON orders (user_id);

-- tandem:down
DROP INDEX orders_user_id_idx;
DROP TABLE orders;
