-- PostgreSQL 15+: UNIQUE NULLS NOT DISTINCT, security_invoker views.
CREATE TABLE app.nnd (a integer, UNIQUE NULLS NOT DISTINCT (a));
CREATE VIEW app.v_invoker WITH (security_invoker = true) AS SELECT a FROM app.nnd;
