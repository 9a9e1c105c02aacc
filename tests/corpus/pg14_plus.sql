-- PostgreSQL 14+: multiranges, BEGIN ATOMIC bodies, lz4 compression, extended-statistics expressions.
CREATE FUNCTION app.atomic_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM app.parent; END;
CREATE STATISTICS app.expr_stats ON (seq_val + 1), id FROM app.parent;
CREATE PUBLICATION corpus_root WITH (publish_via_partition_root = true, publish = 'insert');
ALTER PUBLICATION corpus_root ADD TABLE app.events;
CREATE SUBSCRIPTION corpus_sub14 CONNECTION 'dbname=nowhere' PUBLICATION corpus_root
  WITH (connect = false, slot_name = NONE, binary = true, streaming = on);
CREATE TYPE app.textrange AS RANGE (subtype = text, multirange_type_name = app.many_texts);
