-- PostgreSQL 16+: SQL/JSON constructors and IS JSON (views, CHECK), any_value, ICU tailoring
-- rules, a TRUNCATE trigger on a foreign table, CREATE TABLE ... STORAGE, subscription options
-- origin / run_as_owner / password_required.
CREATE TABLE app.json16 (id integer PRIMARY KEY, doc text STORAGE EXTERNAL CHECK (doc IS JSON OBJECT),
  tag text COMPRESSION pglz);
INSERT INTO app.json16 VALUES (1, '{"a": 1}', 'x'), (2, '{"b": [1, 2]}', 'y');
CREATE VIEW app.v_json16 AS
  SELECT JSON_OBJECT('id': id, 'doc': doc FORMAT JSON ABSENT ON NULL) AS obj,
         JSON_ARRAY(id, tag NULL ON NULL) AS arr, doc IS JSON WITH UNIQUE KEYS AS uniq
  FROM app.json16;
CREATE VIEW app.v_agg16 AS
  SELECT any_value(tag) AS some_tag, JSON_ARRAYAGG(id ORDER BY id) AS ids, JSON_OBJECTAGG(tag: id) AS by_tag
  FROM app.json16;
CREATE FUNCTION app.trunc_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER ft_truncate BEFORE TRUNCATE ON app.ft FOR EACH STATEMENT EXECUTE FUNCTION app.trunc_trg();
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i') THEN
    EXECUTE 'CREATE COLLATION app.icu_rules (provider = icu, locale = ''und'', rules = ''&a < g'')';
    EXECUTE 'CREATE TABLE app.icu_rules_use (t text COLLATE app.icu_rules)';
  END IF;
END $$;
CREATE SUBSCRIPTION corpus_sub16 CONNECTION 'dbname=nowhere' PUBLICATION corpus_pub
  WITH (connect = false, slot_name = NONE, origin = none, run_as_owner = true, password_required = false);
