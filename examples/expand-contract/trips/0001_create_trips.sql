-- tandem:up
CREATE TABLE trips (
  id bigserial PRIMARY KEY,
  rider text NOT NULL,
  pickup_lat double precision NOT NULL,
  pickup_lng double precision NOT NULL
);

-- tandem:down
DROP TABLE trips;
