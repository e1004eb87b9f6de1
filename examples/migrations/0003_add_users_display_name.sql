-- tandem:up
ALTER TABLE users ADD COLUMN display_name text;

-- tandem:down
ALTER TABLE users DROP COLUMN display_name;
