# Shell helpers that compare two databases on the server the PG* variables point at.
# Sourced by tools/quickstart and tools/roundtrip-check. Referee tools only: pgark itself
# never runs pg_dump.
#
#   referee_pg_dump              path of a pg_dump at least as new as the server
#   compare_databases SRC DST    schema (pg_dump -s), per-table row digests, sequences and
#                                large objects; prints differences, returns 1 if any

referee_pg_dump() {
  local dir
  for dir in "${PGARK_REFEREE_BINDIR:-}" "${PGARK_PG_BINDIR:-}"; do
    if [ -n "$dir" ] && [ -x "$dir/pg_dump" ]; then echo "$dir/pg_dump"; return; fi
  done
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_dump" ]; then echo "$dir/pg_dump"; return; fi
  command -v pg_dump
}

# pg_dump -s without what legitimately differs between two dumps of equal schemas:
# comments, blank lines, and the random \restrict keys of pg_dump 17.6+.
_schema_of() {
  local schema
  schema=$("$(referee_pg_dump)" -s --no-tablespaces "$1") || return 1
  grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict' <<<"$schema"
}

# One line per user table: name, row count, md5 of all rows in a canonical order. A partition
# under a table hash-partitioned on an enum is compared through its topmost root instead (the
# hash is of the enum's OIDs, which differ between databases, so rows may sit in another
# partition; pgark loads such partitions through the root, as pg_dump 16+ does).
# Materialized views left unpopulated (WITH NO DATA) cannot be read: left out (so a side that
# populated one shows as a difference).
_table_digests() {
  psql -X -At -d "$1" -c "
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
    SELECT DISTINCT CASE WHEN via_root THEN pg_partition_root(oid)::regclass::text
                         ELSE 'ONLY ' || oid::regclass::text END
    FROM t ORDER BY 1" |
  while read -r table; do
    printf '%s %s\n' "$table" "$(psql -X -At -d "$1" -c \
      "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM $table x")"
  done
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

compare_databases() {
  local src=$1 dst=$2 status=0 what side
  side=$(mktemp -d /tmp/pgark-compare.XXXXXX)
  for what in _schema_of _table_digests _sequence_values _large_objects; do
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
