-- tandem:up
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer text NOT NULL,
  total_amount integer NOT NULL CHECK (total_amount >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_total_amount_idx ON orders (total_amount);

-- tandem:down
DROP TABLE orders;
