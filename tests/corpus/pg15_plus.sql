-- PostgreSQL 15+: UNIQUE NULLS NOT DISTINCT, security_invoker views.
CREATE TABLE app.nnd (a integer, UNIQUE NULLS NOT DISTINCT (a));
CREATE VIEW app.v_invoker WITH (security_invoker = true) AS SELECT a FROM app.nnd;
CREATE PUBLICATION corpus_cols FOR TABLE app.nnd (a) WHERE (a > 0);
CREATE PUBLICATION corpus_schema FOR TABLES IN SCHEMA "Weird ""Schema""", TABLE app.a;
CREATE SUBSCRIPTION corpus_sub15 CONNECTION 'dbname=nowhere' PUBLICATION corpus_cols
  WITH (connect = false, slot_name = NONE, disable_on_error = true);
