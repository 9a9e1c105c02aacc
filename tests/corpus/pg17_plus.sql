-- PostgreSQL 17+: the MAINTAIN privilege (also in default privileges), identity columns on
-- partitioned tables, a partitioned table with an access method,
-- the builtin collation provider, JSON_TABLE in a view, a login event trigger (disabled),
-- a subscription with failover.
CREATE TABLE app.maint17 (id integer);
GRANT MAINTAIN ON app.maint17 TO "corpus reader";
GRANT SELECT, MAINTAIN ON app.parent TO corpus_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE corpus_owner IN SCHEMA app GRANT MAINTAIN ON TABLES TO "corpus reader";
-- (No exclusion constraint on it: 17.10 refuses ALTER INDEX ... ATTACH PARTITION of a
-- partition's exclusion index, "index definitions do not match", which pg_dump's output needs
-- as much as pgark's; see docs/testing.md "Other PostgreSQL versions".)
CREATE TABLE app.ident17 (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 7), k integer NOT NULL,
  r int4range) PARTITION BY LIST (k);
CREATE TABLE app.ident17_1 PARTITION OF app.ident17 FOR VALUES IN (1);
CREATE TABLE app.ident17_2 PARTITION OF app.ident17 FOR VALUES IN (2);
INSERT INTO app.ident17 (k, r) VALUES (1, '[1,5)'), (2, '[1,5)'), (1, '[6,9)');
CREATE TABLE app.am17 (a integer) PARTITION BY LIST (a) USING corpus_heap;
CREATE TABLE app.am17_1 PARTITION OF app.am17 FOR VALUES IN (1);
CREATE COLLATION app.builtin_c (provider = builtin, locale = 'C.UTF-8');
CREATE TABLE app.builtin_use (t text COLLATE app.builtin_c);
CREATE VIEW app.v_json_table AS
  SELECT jt.* FROM app.json16, JSON_TABLE(doc::jsonb, '$.b[*]' COLUMNS (n FOR ORDINALITY, v integer PATH '$')) AS jt;
CREATE FUNCTION app.on_login() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER corpus_login ON login EXECUTE FUNCTION app.on_login();
ALTER EVENT TRIGGER corpus_login DISABLE;
CREATE SUBSCRIPTION corpus_sub17 CONNECTION 'dbname=nowhere' PUBLICATION corpus_pub
  WITH (connect = false, slot_name = NONE, failover = true);
-- A domain's NOT NULL is a named constraint on 17+.
CREATE DOMAIN app.named_nn AS integer CONSTRAINT named_nn_required NOT NULL CONSTRAINT named_nn_positive CHECK (VALUE > 0);
