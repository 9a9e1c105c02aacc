# Shell helpers that compare two databases on the server the PG* variables point at.
# Sourced by tools/quickstart and tools/roundtrip-check. Referee tools only: pgark itself
# never runs pg_dump.
#
#   referee_pg_dump              path of the newest pg_dump found
#   compare_databases SRC DST    schema, per-table row digests, sequences and large objects;
#                                prints differences, returns 1 if any
#   drop_database DB             drops DB and its subscriptions (which block DROP DATABASE)
#   seed_corpus DB DIR           applies DIR/*.sql to DB in name order; a file named
#                                pgNN_plus*.sql only on servers of major NN or later
#
# The schema referee: pg_dump -s when that pg_dump is at least as new as the server; else
# (pg_dump 15 refuses 16+ and this machine has no newer one) tools/schema-describe, which
# describes the schema from the server's own catalogs and deparse functions.
# PGARK_SCHEMA_REFEREE=both runs both where pg_dump can (the suite does so on 15, where
# tools/referee-check shows the two see the same mutations); =pg_dump or =describe forces one.

_compare_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

referee_pg_dump() {
  local dir
  for dir in "${PGARK_REFEREE_BINDIR:-}" "${PGARK_PG_BINDIR:-}"; do
    if [ -n "$dir" ] && [ -x "$dir/pg_dump" ]; then echo "$dir/pg_dump"; return; fi
  done
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_dump" ]; then echo "$dir/pg_dump"; return; fi
  command -v pg_dump
}

# The referees to run against the server of database $1 (default: the PG* variables' server).
_schema_referees() {
  local dump_major server_major
  case ${PGARK_SCHEMA_REFEREE:-auto} in
    pg_dump) echo _schema_of; return ;;
    describe) echo _catalog_facts; return ;;
  esac
  dump_major=$("$(referee_pg_dump)" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')
  # The server of the database compared (a conninfo from the tests), else of the PG* variables.
  server_major=$(( $(psql -X -At -d "${1:-postgres}" -c "SHOW server_version_num") / 10000 ))
  if [ "$dump_major" -lt "$server_major" ]; then
    echo "compare: pg_dump $dump_major is older than the server ($server_major): schema compared with tools/schema-describe" >&2
    echo _catalog_facts
  elif [ "${PGARK_SCHEMA_REFEREE:-auto}" = both ]; then
    echo _schema_of _catalog_facts
  else
    echo _schema_of
  fi
}

# pg_dump -s without what legitimately differs between two dumps of equal schemas:
# comments, blank lines, and the random \restrict keys of pg_dump 17.6+.
_schema_of() {
  local schema
  schema=$("$(referee_pg_dump)" -s --no-tablespaces "$1") || return 1
  grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict' <<<"$schema"
}

# The schema as the server's catalogs describe it (tools/schema-describe).
_catalog_facts() {
  "$_compare_root/tools/schema-describe" "$1"
}

# One line per user table: name, row count, md5 of all rows in a canonical order. A partition
# under a table hash-partitioned on an enum is compared through its topmost root instead (the
# hash is of the enum's OIDs, which differ between databases, so rows may sit in another
# partition; pgark loads such partitions through the root, as pg_dump 16+ does).
# Materialized views left unpopulated (WITH NO DATA) cannot be read: left out (so a side that
# populated one shows as a difference).
_table_digests() {
  local digests status
  digests=$(mktemp /tmp/pgark-digests.XXXXXX.sql)
  psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "
    WITH t AS (
      SELECT c.oid, EXISTS (SELECT 1 FROM pg_partition_ancestors(c.oid) a(relid)
                            JOIN pg_partitioned_table pt ON pt.partrelid = a.relid
                            CROSS JOIN unnest(pt.partclass) pc(opc) JOIN pg_opclass o ON o.oid = pc.opc
                            WHERE pt.partstrat = 'h' AND o.opcname = 'enum_ops') AS via_root
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e'))
    SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(x::text, ''|'' ORDER BY x::text)), ''-'') FROM %s x;', name, name)
    FROM (SELECT DISTINCT CASE WHEN via_root THEN pg_partition_root(oid)::regclass::text
                               ELSE 'ONLY ' || oid::regclass::text END AS name FROM t) n
    ORDER BY name" >"$digests" &&
    # One session for all tables (a psql per table took 0.1-0.2 s each: most of a cross-version
    # check's 13 s); any table that cannot be read fails the whole list.
    psql -X -At -v ON_ERROR_STOP=1 -d "$1" -f "$digests"
  status=$?
  rm -f "$digests"
  return $status
}

_sequence_values() {
  psql -X -At -d "$1" -c "
    SELECT format('%I.%I', schemaname, sequencename), last_value
    FROM pg_sequences ORDER BY 1"
}

_large_objects() {
  psql -X -At -d "$1" -c "SELECT oid, md5(lo_get(oid)), pg_get_userbyid(lomowner), lomacl,
    obj_description(oid, 'pg_largeobject') FROM pg_largeobject_metadata ORDER BY oid"
}

drop_database() {
  local sub
  for sub in $(psql -X -At -d "$1" -c "SELECT quote_ident(subname) FROM pg_subscription s JOIN pg_database d
                 ON d.oid = s.subdbid AND d.datname = current_database()" 2>/dev/null); do
    psql -X -q -d "$1" -c "ALTER SUBSCRIPTION $sub DISABLE" -c "ALTER SUBSCRIPTION $sub SET (slot_name = NONE)" \
      -c "DROP SUBSCRIPTION $sub" || return 1
  done
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1"
}

seed_corpus() {
  local db=$1 corpus=$2 major file name
  major=$(( $(psql -X -At -d postgres -c "SHOW server_version_num") / 10000 ))
  for file in $(ls "$corpus"/*.sql | sort); do
    name=$(basename "$file")
    if [[ $name =~ ^pg([0-9]+)_plus ]] && [ "$major" -lt "${BASH_REMATCH[1]}" ]; then
      echo "seed_corpus: skipping $name (needs PostgreSQL ${BASH_REMATCH[1]}+)" >&2
      continue
    fi
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$file" >/dev/null || return 1
  done
}

compare_databases() {
  local src=$1 dst=$2 status=0 what side
  side=$(mktemp -d /tmp/pgark-compare.XXXXXX)
  for what in $(_schema_referees "$src") _table_digests _sequence_values _large_objects; do
    # A side that cannot be read is a failure, not an empty (and so equal) description.
    if ! "$what" "$src" >"$side/src" || ! "$what" "$dst" >"$side/dst"; then
      echo "compare: could not read ${what#_} of $src or $dst" >&2
      status=1
    elif ! diff "$side/src" "$side/dst" >&2; then
      echo "compare: ${what#_} differs between $src and $dst" >&2
      status=1
    fi
  done
  rm -rf "$side"
  return $status
}
