-- PostgreSQL 18+: virtual generated columns, named NOT NULL constraints (NOT VALID, NO
-- INHERIT, on partitions and children), temporal keys (WITHOUT OVERLAPS, PERIOD foreign keys),
-- NOT ENFORCED constraints, publish_generated_columns, the PG_UNICODE_FAST builtin collation,
-- OLD/NEW in RETURNING.
CREATE TABLE app.virt18 (a integer, b integer GENERATED ALWAYS AS (a * 2) VIRTUAL,
  c integer GENERATED ALWAYS AS (a + 1) STORED, d integer GENERATED ALWAYS AS (a - 1));
INSERT INTO app.virt18 (a) VALUES (1), (2);
CREATE TABLE app.nn18 (a integer CONSTRAINT nn18_a_named NOT NULL, b integer CONSTRAINT nn18_b_noinh NOT NULL NO INHERIT,
  c integer, d integer NOT NULL);
INSERT INTO app.nn18 VALUES (1, 1, NULL, 1);
CREATE TABLE app.nn18_child (e integer CONSTRAINT nn18_child_e NOT NULL) INHERITS (app.nn18);
ALTER TABLE app.nn18 ADD CONSTRAINT nn18_c_notvalid NOT NULL c NOT VALID;
-- Created after the NOT VALID constraint: holds a validated copy of it (nn18_child does not).
CREATE TABLE app.nn18_child_late () INHERITS (app.nn18);
COMMENT ON CONSTRAINT nn18_a_named ON app.nn18 IS 'a named NOT NULL constraint';
CREATE TABLE app.nn18_part (id integer CONSTRAINT nn18_part_id NOT NULL, k integer NOT NULL) PARTITION BY LIST (k);
CREATE TABLE app.nn18_part_1 PARTITION OF app.nn18_part FOR VALUES IN (1);
CREATE TABLE app.nn18_part_2 (id integer CONSTRAINT own_name NOT NULL, k integer NOT NULL);
ALTER TABLE app.nn18_part ATTACH PARTITION app.nn18_part_2 FOR VALUES IN (2);
ALTER TABLE app.nn18_part ADD PRIMARY KEY (id, k);
CREATE EXTENSION btree_gist;  -- the integer part of the temporal keys
CREATE TABLE app.rooms (id integer, valid daterange, PRIMARY KEY (id, valid WITHOUT OVERLAPS));
CREATE TABLE app.bookings (id integer, room integer, valid daterange,
  CONSTRAINT bookings_room FOREIGN KEY (room, PERIOD valid) REFERENCES app.rooms (id, PERIOD valid));
INSERT INTO app.rooms VALUES (1, '[2025-01-01,2026-01-01)');
INSERT INTO app.bookings VALUES (1, 1, '[2025-02-01,2025-03-01)');
CREATE TABLE app.unenforced (a integer CHECK (a > 0) NOT ENFORCED, b integer,
  CONSTRAINT unenforced_fk FOREIGN KEY (b) REFERENCES app.a (id) NOT ENFORCED);
INSERT INTO app.unenforced VALUES (-1, 12345);
CREATE PUBLICATION corpus_gencols FOR TABLE app.virt18 WITH (publish_generated_columns = stored);
CREATE COLLATION app.unicode_fast (provider = builtin, locale = 'PG_UNICODE_FAST');
CREATE FUNCTION app.bump(i integer) RETURNS TABLE (before integer, after integer) LANGUAGE sql
  BEGIN ATOMIC UPDATE app.virt18 SET a = a + 1 WHERE a = i RETURNING old.a, new.a; END;
