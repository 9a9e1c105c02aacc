-- Cluster-wide objects for tools/globals-check: dumped with `pgark dump --globals` from one
-- server, restored with `pgark restore --globals` into a fresh server of the same major, and
-- compared. Files named *_pgNN_plus.sql are applied only on servers of major NN or later.
-- Tablespaces are left out: two servers on one host cannot share a tablespace directory
-- (tests/integration/globals_test.cc covers them within one server).
CREATE ROLE app_owner LOGIN CREATEDB CONNECTION LIMIT 5 PASSWORD 'owner secret' VALID UNTIL '2031-01-01 00:00:00+00';
CREATE ROLE readers NOLOGIN NOINHERIT;
CREATE ROLE "Weird ""Role"", with comma" LOGIN BYPASSRLS;
CREATE ROLE "user" NOLOGIN;
CREATE ROLE replicator LOGIN REPLICATION;
CREATE ROLE zed_admin LOGIN CREATEROLE;
CREATE ROLE amy LOGIN;
CREATE ROLE bob LOGIN IN ROLE readers;
COMMENT ON ROLE readers IS 'read-only access, ''quoted''';
ALTER ROLE app_owner SET work_mem = '8MB';
ALTER ROLE app_owner SET search_path = app, "$user", "We ird";
ALTER ROLE "Weird ""Role"", with comma" SET statement_timeout = '5min';
GRANT readers TO "Weird ""Role"", with comma" WITH ADMIN OPTION;
GRANT app_owner TO "user";
-- A grant named as made by a member that holds ADMIN OPTION (16+ checks the grantor then):
-- it must be replayed after the grant that made zed_admin an admin, although "amy" sorts first.
GRANT readers TO zed_admin WITH ADMIN OPTION;
GRANT readers TO amy GRANTED BY zed_admin;
