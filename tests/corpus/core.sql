-- pgark catalog conformance corpus: objects every PostgreSQL 12..17 accepts.
-- Version-specific objects live in pgNN_plus.sql files loaded after this one.
-- Roles are cluster-wide and tests load this file in parallel: tolerate a concurrent creator.
DO $$ BEGIN
  BEGIN CREATE ROLE corpus_owner; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE "corpus reader"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $$;

CREATE SCHEMA "Weird ""Schema""";
CREATE SCHEMA app AUTHORIZATION corpus_owner;
COMMENT ON SCHEMA app IS 'application
schema with a newline and a '' quote';
GRANT USAGE ON SCHEMA app TO "corpus reader";

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok';
ALTER TYPE app.mood ADD VALUE 'it''s "quoted"';
CREATE TYPE app.pair AS (a integer, b text COLLATE "C", m app.mood);
CREATE DOMAIN app.posint AS integer NOT NULL DEFAULT 1 CONSTRAINT posint_check CHECK (VALUE > 0);
CREATE DOMAIN app.small_posint AS app.posint CONSTRAINT small CHECK (VALUE < 1000);
CREATE DOMAIN app.name_text AS text COLLATE "C";
CREATE TABLE app.domain_rows (v integer);
INSERT INTO app.domain_rows VALUES (-5);
CREATE DOMAIN app.later AS integer;
ALTER DOMAIN app.later ADD CONSTRAINT later_check CHECK (VALUE > 0) NOT VALID;
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
COMMENT ON TYPE app.pair IS 'a composite';
COMMENT ON COLUMN app.pair.b IS 'a composite type''s attribute';
-- Base types: a shell type first, then I/O functions in LANGUAGE internal over built-in C
-- functions (int4's and point's), then the full definition. myint has typmod functions and
-- non-default options; mypoint has an element type (subscripting).
CREATE TYPE app.myint;
CREATE FUNCTION app.myint_in(cstring) RETURNS app.myint LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int4in';
CREATE FUNCTION app.myint_out(app.myint) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int4out';
CREATE FUNCTION app.myint_recv(internal) RETURNS app.myint LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int4recv';
CREATE FUNCTION app.myint_send(app.myint) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int4send';
CREATE FUNCTION app.myint_typmod_in(cstring[]) RETURNS integer LANGUAGE internal IMMUTABLE STRICT AS 'numerictypmodin';
CREATE FUNCTION app.myint_typmod_out(integer) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'numerictypmodout';
CREATE TYPE app.myint (INPUT = app.myint_in, OUTPUT = app.myint_out, RECEIVE = app.myint_recv,
  SEND = app.myint_send, TYPMOD_IN = app.myint_typmod_in, TYPMOD_OUT = app.myint_typmod_out,
  INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4, STORAGE = plain, CATEGORY = 'N',
  PREFERRED = false, DEFAULT = '42', DELIMITER = ';');
COMMENT ON TYPE app.myint IS 'int4 under another name';
CREATE TYPE app.mypoint;
CREATE FUNCTION app.mypoint_in(cstring) RETURNS app.mypoint LANGUAGE internal IMMUTABLE STRICT AS 'point_in';
CREATE FUNCTION app.mypoint_out(app.mypoint) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'point_out';
CREATE FUNCTION app.mypoint_recv(internal) RETURNS app.mypoint LANGUAGE internal IMMUTABLE STRICT AS 'point_recv';
CREATE FUNCTION app.mypoint_send(app.mypoint) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT AS 'point_send';
CREATE TYPE app.mypoint (INPUT = app.mypoint_in, OUTPUT = app.mypoint_out, RECEIVE = app.mypoint_recv,
  SEND = app.mypoint_send, INTERNALLENGTH = 16, ELEMENT = float8, ALIGNMENT = double);
ALTER TYPE app.mypoint OWNER TO corpus_owner;
CREATE TABLE app.uses_base_types (id integer PRIMARY KEY, m app.myint, ms app.myint[], mt app.myint(5,2),
  p app.mypoint, CHECK (p[0] >= 0));
INSERT INTO app.uses_base_types VALUES (1, '7', '{1;2}', '3', '(1,2)'), (2, NULL, '{}', DEFAULT, '(0,-1.5)');

CREATE FUNCTION app.add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS 'SELECT i + 1';
CREATE FUNCTION app.secdef() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
  COST 5 AS $$ BEGIN RETURN current_user; END $$;
CREATE FUNCTION app.add_one(t text) RETURNS text LANGUAGE sql AS $$ SELECT t || '1' $$;
CREATE PROCEDURE app.proc(INOUT x integer, VARIADIC rest integer[] DEFAULT '{}') LANGUAGE plpgsql
  AS $$ BEGIN x := x + 1; END $$;
REVOKE EXECUTE ON FUNCTION app.secdef() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.secdef() TO "corpus reader";
ALTER FUNCTION app.add_one(integer) OWNER TO corpus_owner;

CREATE FUNCTION app.sum_sfunc(state bigint, v integer) RETURNS bigint LANGUAGE sql IMMUTABLE
  AS 'SELECT state + v';
CREATE AGGREGATE app.my_sum(integer) (SFUNC = app.sum_sfunc, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION app.int_eq(integer, app.posint) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR app.=== (LEFTARG = integer, RIGHTARG = app.posint, FUNCTION = app.int_eq);
-- An operator family and class (members as "OPERATOR n schema.op (types)"), and a loose
-- member added to the family.
CREATE OPERATOR FAMILY app.int_fam USING btree;
CREATE OPERATOR CLASS app.int_cls FOR TYPE integer USING btree FAMILY app.int_fam AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(integer, integer);
ALTER OPERATOR FAMILY app.int_fam USING btree ADD OPERATOR 3 = (integer, bigint),
  FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint);

-- Tables.
CREATE SEQUENCE app.shared_seq AS integer START WITH 100 INCREMENT BY 5 MAXVALUE 100000 CYCLE;
CREATE TABLE app.parent (
  id integer GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 2) PRIMARY KEY,
  "Mixed Case" text COLLATE "C" DEFAULT 'x' NOT NULL,
  dropped integer,
  seq_val integer DEFAULT nextval('app.shared_seq'),
  doubled integer GENERATED ALWAYS AS (seq_val * 2) STORED,
  mood app.mood,
  pair app.pair,
  r app.floatrange,
  note text CHECK (note <> '') ,
  CONSTRAINT later_chk CHECK (id > 0) NOT VALID
) WITH (fillfactor = 80, autovacuum_enabled = false);
ALTER TABLE app.parent DROP COLUMN dropped;
ALTER TABLE app.parent ALTER COLUMN note SET STORAGE EXTERNAL;
ALTER TABLE app.parent ALTER COLUMN note SET STATISTICS 500;
ALTER TABLE app.parent ALTER COLUMN mood SET (n_distinct = 5);
ALTER TABLE app.parent REPLICA IDENTITY FULL;
COMMENT ON COLUMN app.parent."Mixed Case" IS 'column comment';
COMMENT ON CONSTRAINT parent_note_check ON app.parent IS 'check comment';
GRANT SELECT, INSERT ON app.parent TO "corpus reader";
GRANT UPDATE ("Mixed Case") ON app.parent TO "corpus reader" WITH GRANT OPTION;

CREATE TABLE app.child (extra integer NOT NULL) INHERITS (app.parent);
ALTER TABLE app.child ALTER COLUMN seq_val DROP DEFAULT;  -- the parent keeps its default
-- A child column also defined locally (merged, printed in CREATE TABLE) that dropped the
-- inherited default.
CREATE TABLE app.child_local (seq_val integer, own text) INHERITS (app.parent);
ALTER TABLE app.child_local ALTER COLUMN seq_val DROP DEFAULT;
ALTER TABLE app.parent ADD COLUMN added_later integer;
CREATE TABLE app.serials (id serial PRIMARY KEY, big bigserial, val app.posint);
CREATE UNLOGGED TABLE app.unlogged (k integer NOT NULL, v text);
CREATE TABLE app.typed OF app.pair (a WITH OPTIONS NOT NULL);
CREATE TABLE app.no_columns ();
CREATE TABLE "Weird ""Schema"""."select" ("from" integer, "ünïcode col" text, "a""b" text);

-- A child created after its parent's NOT VALID CHECK holds a validated copy of it (no row breaks
-- the CHECK: data-only restores into the schema, which has it, load this corpus too).
CREATE TABLE app.nv_parent (c integer);
ALTER TABLE app.nv_parent ADD CONSTRAINT nv_parent_positive CHECK (c > 0) NOT VALID;
CREATE TABLE app.nv_child () INHERITS (app.nv_parent);

-- FK cycle and self reference.
CREATE TABLE app.a (id integer PRIMARY KEY, b_id integer);
CREATE TABLE app.b (id integer PRIMARY KEY, a_id integer REFERENCES app.a DEFERRABLE INITIALLY DEFERRED,
  parent_id integer REFERENCES app.b ON DELETE CASCADE);
ALTER TABLE app.a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES app.b (id) NOT VALID;
CREATE TABLE app.excl (r int4range, EXCLUDE USING gist (r WITH &&));
CREATE TABLE app.uniq (a integer, b integer, UNIQUE (a, b) DEFERRABLE);
-- Index parameters of constraint indexes (pg_get_constraintdef leaves them out).
CREATE TABLE app.storage_opts (id integer, code text,
  CONSTRAINT storage_opts_pk PRIMARY KEY (id) WITH (fillfactor = 70),
  CONSTRAINT storage_opts_code UNIQUE (code) WITH (fillfactor = 60) DEFERRABLE INITIALLY DEFERRED);
-- (pg13_plus.sql adds deduplicate_items = off to storage_opts_code.)
COMMENT ON INDEX app.storage_opts_pk IS 'the index of a constraint';
COMMENT ON CONSTRAINT storage_opts_pk ON app.storage_opts IS 'the constraint';

-- Partitioning.
CREATE TABLE app.events (id integer NOT NULL, kind text NOT NULL, at date NOT NULL, payload text)
  PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE app.events_2024_a PARTITION OF app.events_2024 FOR VALUES IN ('a');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE TABLE app.events_odd (payload text, at date NOT NULL, kind text NOT NULL, id integer NOT NULL);
ALTER TABLE app.events ATTACH PARTITION app.events_odd FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');
ALTER TABLE app.events ADD PRIMARY KEY (id, at, kind);
CREATE INDEX events_kind_idx ON ONLY app.events (kind);
CREATE INDEX events_default_kind_idx ON app.events_default (kind);
ALTER INDEX app.events_kind_idx ATTACH PARTITION app.events_default_kind_idx;
CREATE TABLE app.hashed (m app.mood, v integer) PARTITION BY HASH (m);
CREATE TABLE app.hashed_0 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.hashed_1 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);
-- The hash is of the enum's OIDs, which differ in the restored database: rows must be loaded
-- through app.hashed, not into the partition they were dumped from.
-- (Labels added by ALTER TYPE above cannot be used before this script's transaction commits.)
INSERT INTO app.hashed SELECT m::app.mood, g FROM unnest(ARRAY['sad', 'ok', 'happy']) m, generate_series(1, 3) g;

-- Indexes.
CREATE INDEX parent_expr_idx ON app.parent (lower("Mixed Case") DESC NULLS LAST) WHERE id > 5;
CREATE INDEX parent_incl_idx ON app.parent (id) INCLUDE (note);
CREATE INDEX parent_hash_idx ON app.parent USING hash (note);
CREATE INDEX parent_brin_idx ON app.parent USING brin (seq_val);
CREATE INDEX parent_gin_idx ON app.parent USING gin (to_tsvector('english', note));
ALTER INDEX app.parent_expr_idx ALTER COLUMN 1 SET STATISTICS 100;
CLUSTER app.parent USING parent_incl_idx;
CREATE UNIQUE INDEX unlogged_k ON app.unlogged (k);
ALTER TABLE app.unlogged REPLICA IDENTITY USING INDEX unlogged_k;
CREATE STATISTICS app.parent_stats (ndistinct, dependencies) ON id, seq_val FROM app.parent;

-- Views, matviews, rules, triggers, policies.
CREATE VIEW app.v_parent WITH (security_barrier) AS SELECT id, "Mixed Case" FROM app.parent WHERE id > 1
  WITH CASCADED CHECK OPTION;
CREATE VIEW app.v_on_v AS SELECT id FROM app.v_parent;
ALTER VIEW app.v_parent ALTER COLUMN "Mixed Case" SET DEFAULT 'through the view';
CREATE RECURSIVE VIEW app.v_rec (n) AS SELECT 1 UNION ALL SELECT n + 1 FROM v_rec WHERE n < 3;
CREATE MATERIALIZED VIEW app.mv AS SELECT id, seq_val FROM app.parent;
CREATE MATERIALIZED VIEW app.mv_on_mv AS SELECT id FROM app.mv;
CREATE MATERIALIZED VIEW app.mv_empty AS SELECT 1 AS one WITH NO DATA;
CREATE UNIQUE INDEX mv_id ON app.mv (id);
CREATE RULE ignore_delete AS ON DELETE TO app.serials DO INSTEAD NOTHING;
CREATE RULE log_insert AS ON INSERT TO app.unlogged DO ALSO NOTIFY unlogged_changed;
ALTER TABLE app.unlogged DISABLE RULE log_insert;
CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER parent_trg BEFORE INSERT OR UPDATE OF note ON app.parent FOR EACH ROW
  WHEN (NEW.note IS NOT NULL) EXECUTE FUNCTION app.trg();
CREATE TRIGGER serials_trg AFTER INSERT ON app.serials FOR EACH STATEMENT EXECUTE FUNCTION app.trg();
ALTER TABLE app.serials DISABLE TRIGGER serials_trg;
-- A row trigger of a partitioned table is cloned onto each partition; disabled on one of them
-- (a BEFORE row trigger, 13+, is in pg13_plus.sql).
CREATE TRIGGER events_after_trg AFTER INSERT ON app.events FOR EACH ROW EXECUTE FUNCTION app.trg();
ALTER TABLE app.events_default DISABLE TRIGGER events_after_trg;
CREATE TRIGGER v_trg INSTEAD OF INSERT ON app.v_on_v FOR EACH ROW EXECUTE FUNCTION app.trg();
ALTER TABLE app.a ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.a FORCE ROW LEVEL SECURITY;
CREATE POLICY a_read ON app.a FOR SELECT TO "corpus reader", PUBLIC USING (id > 0);
CREATE POLICY a_strict ON app.a AS RESTRICTIVE FOR UPDATE USING (true) WITH CHECK (b_id IS NOT NULL);

-- Function <-> view loop (a view that uses a function whose result type is the view's row).
CREATE VIEW app.loop_v AS SELECT 1 AS x;
CREATE FUNCTION app.loop_f() RETURNS SETOF app.loop_v LANGUAGE sql AS 'SELECT * FROM app.loop_v';
CREATE OR REPLACE VIEW app.loop_v AS SELECT x FROM app.loop_f() AS f(x) UNION ALL SELECT 1;

-- Event trigger and default privileges.
CREATE FUNCTION app.evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER corpus_evt ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION app.evt();
ALTER EVENT TRIGGER corpus_evt DISABLE;
ALTER DEFAULT PRIVILEGES FOR ROLE corpus_owner IN SCHEMA app GRANT SELECT ON TABLES TO "corpus reader";
ALTER DEFAULT PRIVILEGES FOR ROLE corpus_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Ownership.
ALTER TABLE app.b OWNER TO corpus_owner;
ALTER VIEW app.v_on_v OWNER TO corpus_owner;
ALTER SEQUENCE app.shared_seq OWNER TO corpus_owner;
SELECT setval('app.shared_seq', 150);

-- Casts, collations, conversions.
CREATE FUNCTION app.mood_to_int(app.mood) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE CAST (app.mood AS integer) WITH FUNCTION app.mood_to_int(app.mood) AS ASSIGNMENT;
CREATE CAST (app.pair AS text) WITH INOUT AS IMPLICIT;
-- Binary-coercible (WITHOUT FUNCTION) between two types of one layout: PostgreSQL 18 refuses it
-- between range types ("range data types are not binary-compatible").
CREATE CAST (app.myint AS integer) WITHOUT FUNCTION;
COMMENT ON CAST (app.mood AS integer) IS 'cast comment';
CREATE COLLATION app.c_posix (locale = 'C');
CREATE COLLATION app."Mixed Coll" (lc_collate = 'C', lc_ctype = 'POSIX');
ALTER COLLATION app.c_posix OWNER TO corpus_owner;
COMMENT ON COLLATION app.c_posix IS 'collation comment';
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i') THEN
    EXECUTE 'CREATE COLLATION app.ci (provider = icu, locale = ''und-u-ks-level2'', deterministic = false)';
    EXECUTE 'CREATE TABLE app.ci_use (t text COLLATE app.ci)';
  END IF;
END $$;
CREATE TABLE app.coll_use (t text COLLATE app.c_posix, u text COLLATE app."Mixed Coll");
CREATE CONVERSION app.latin1_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
COMMENT ON CONVERSION app.latin1_conv IS 'conversion comment';

-- A procedural language that is not an extension, and a transform for it.
CREATE FUNCTION app.corpus_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE FUNCTION app.corpus_inline(internal) RETURNS void LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_inline_handler';
CREATE FUNCTION app.corpus_validator(oid) RETURNS void LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_validator';
CREATE TRUSTED LANGUAGE corpus_pl HANDLER app.corpus_handler INLINE app.corpus_inline VALIDATOR app.corpus_validator;
COMMENT ON LANGUAGE corpus_pl IS 'language comment';
REVOKE USAGE ON LANGUAGE corpus_pl FROM PUBLIC;
GRANT USAGE ON LANGUAGE corpus_pl TO "corpus reader";
CREATE FUNCTION app.in_corpus_pl() RETURNS integer LANGUAGE corpus_pl AS $$ BEGIN RETURN 1; END $$;
CREATE FUNCTION app.mood_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE AS 'int4recv';
CREATE FUNCTION app.mood_to_sql(internal) RETURNS app.mood LANGUAGE internal IMMUTABLE AS 'enum_recv';
CREATE TRANSFORM FOR app.mood LANGUAGE corpus_pl (
  FROM SQL WITH FUNCTION app.mood_from_sql(internal), TO SQL WITH FUNCTION app.mood_to_sql(internal));
COMMENT ON TRANSFORM FOR app.mood LANGUAGE corpus_pl IS 'transform comment';

-- Access methods.
CREATE ACCESS METHOD corpus_heap TYPE TABLE HANDLER heap_tableam_handler;
CREATE ACCESS METHOD corpus_gist TYPE INDEX HANDLER gisthandler;
COMMENT ON ACCESS METHOD corpus_heap IS 'am comment';
CREATE TABLE app.am_table (a integer) USING corpus_heap;

-- Text search.
CREATE TEXT SEARCH PARSER app.prs (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end,
  LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
CREATE TEXT SEARCH TEMPLATE app.tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY app.dict (TEMPLATE = app.tmpl, StopWords = english, Accept = false);
CREATE TEXT SEARCH CONFIGURATION app.cfg (PARSER = app.prs);
ALTER TEXT SEARCH CONFIGURATION app.cfg ADD MAPPING FOR asciiword, word WITH app.dict, english_stem;
ALTER TEXT SEARCH CONFIGURATION app.cfg ADD MAPPING FOR int WITH simple;
CREATE TEXT SEARCH CONFIGURATION app.cfg_copy (COPY = english);
ALTER TEXT SEARCH DICTIONARY app.dict OWNER TO corpus_owner;
COMMENT ON TEXT SEARCH PARSER app.prs IS 'parser comment';
COMMENT ON TEXT SEARCH CONFIGURATION app.cfg IS 'config comment';
CREATE INDEX parent_cfg_idx ON app.parent USING gin (to_tsvector('app.cfg', note));

-- Foreign data: a wrapper without extension, contrib wrappers, servers, user mappings, foreign tables.
CREATE FOREIGN DATA WRAPPER corpus_fdw OPTIONS (mode 'strict');
CREATE SERVER corpus_srv TYPE 'kind' VERSION '1.0' FOREIGN DATA WRAPPER corpus_fdw
  OPTIONS (host 'h', "Odd Option" 'it''s');
CREATE USER MAPPING FOR corpus_owner SERVER corpus_srv OPTIONS (user 'u', password 'not-a-secret');
CREATE USER MAPPING FOR PUBLIC SERVER corpus_srv;
GRANT USAGE ON FOREIGN DATA WRAPPER corpus_fdw TO corpus_owner;
GRANT USAGE ON FOREIGN SERVER corpus_srv TO "corpus reader";
ALTER SERVER corpus_srv OWNER TO corpus_owner;
COMMENT ON SERVER corpus_srv IS 'server comment';
COMMENT ON FOREIGN DATA WRAPPER corpus_fdw IS 'fdw comment';
CREATE FOREIGN TABLE app.ft (a integer OPTIONS (col 'x') NOT NULL, b text) SERVER corpus_srv OPTIONS (tbl 'remote');
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE app.file_ft (line text) SERVER files OPTIONS (filename '/dev/null', format 'text');
CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'nowhere');
CREATE USER MAPPING FOR corpus_owner SERVER remote OPTIONS (user 'x', password 'not-a-secret');

-- Publications (no row filters or column lists before 15) and a subscription (connect = false).
CREATE PUBLICATION corpus_pub FOR TABLE app.a, app.b WITH (publish = 'insert, update');
CREATE PUBLICATION "corpus all" FOR ALL TABLES;
CREATE PUBLICATION corpus_empty;
ALTER PUBLICATION corpus_pub OWNER TO corpus_owner;
COMMENT ON PUBLICATION corpus_pub IS 'publication comment';
CREATE SUBSCRIPTION corpus_sub CONNECTION 'host=/nonexistent dbname=nowhere' PUBLICATION corpus_pub, "other pub"
  WITH (connect = false, slot_name = 'corpus_slot', synchronous_commit = 'local');
CREATE SUBSCRIPTION corpus_sub_noslot CONNECTION 'dbname=nowhere' PUBLICATION corpus_pub
  WITH (connect = false, slot_name = NONE);
COMMENT ON SUBSCRIPTION corpus_sub IS 'subscription comment';

-- Large object metadata (pg_dump -s omits it; the round-trip test compares it directly).
SELECT lo_create(424242);
SELECT lo_create(424243);
ALTER LARGE OBJECT 424242 OWNER TO corpus_owner;
GRANT SELECT ON LARGE OBJECT 424242 TO "corpus reader";
COMMENT ON LARGE OBJECT 424242 IS 'blob comment';

-- Extension members: privilege changes since CREATE EXTENSION, and DEPENDS ON EXTENSION.
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "corpus reader";
REVOKE EXECUTE ON FUNCTION public.postgres_fdw_handler() FROM PUBLIC;
ALTER FUNCTION app.add_one(integer) DEPENDS ON EXTENSION file_fdw;
ALTER INDEX app.parent_hash_idx DEPENDS ON EXTENSION postgres_fdw;
ALTER TRIGGER parent_trg ON app.parent DEPENDS ON EXTENSION file_fdw;
ALTER MATERIALIZED VIEW app.mv_empty DEPENDS ON EXTENSION file_fdw;
ALTER PROCEDURE app.proc(integer, integer[]) DEPENDS ON EXTENSION postgres_fdw;
-- A member view (no installed extension has a member table): column privileges granted
-- after CREATE EXTENSION are dumped as GRANTs after it.
CREATE EXTENSION pg_buffercache WITH SCHEMA app;
GRANT SELECT (bufferid, "relfilenode") ON app.pg_buffercache TO "corpus reader";
