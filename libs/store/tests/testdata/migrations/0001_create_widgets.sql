-- Widgets: the smallest table that shows a migration ran.
-- Non-ASCII on purpose (é), so embedding must keep bytes exact.
CREATE TABLE widgets (
  id bigint PRIMARY KEY,
  label text NOT NULL DEFAULT 'café'
);
INSERT INTO widgets (id) VALUES (1);
