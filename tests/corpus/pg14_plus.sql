-- PostgreSQL 14+: multiranges, BEGIN ATOMIC bodies, lz4 compression, extended-statistics expressions.
CREATE FUNCTION app.atomic_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM app.parent; END;
CREATE STATISTICS app.expr_stats ON (seq_val + 1), id FROM app.parent;
