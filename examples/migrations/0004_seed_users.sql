-- tandem:up
INSERT INTO users (id, email, display_name) VALUES
  (1, 'ada@example.com', 'Ada'),
  (2, 'grace@example.com', 'Grace; Admiral');

-- tandem:down
DELETE FROM users WHERE id IN (1, 2);
