-- The mixed-type table of the tools/bench-compare dataset (loaded after `pgbench -i -s S`).
--
-- Usage: psql -v ON_ERROR_STOP=1 -v rows=N -f bench/datasets/mixed.sql
-- tools/bench-compare passes rows = 64000 * scale (scale 50: 3.2 million rows, about 1.6 GB).
--
-- Every value is a pure function of the row number (md5 and modular arithmetic, no random()),
-- so the same scale gives the same rows on every machine and every run.
-- The mix aims at realistic compressibility: repetitive JSON keys and timestamps, incompressible
-- md5 hex and bytea, some NULLs, short and long text. About 330 bytes per row on disk before
-- indexes.
CREATE TABLE public.bench_mixed (
  id         bigint      NOT NULL,
  created_at timestamptz NOT NULL,
  amount     numeric(14,2),
  attrs      jsonb,
  note       text,
  ref        uuid        NOT NULL,
  blob       bytea,
  scores     int[],
  active     boolean     NOT NULL,
  due        date
);

INSERT INTO public.bench_mixed
SELECT i,
       timestamptz '2020-01-01 00:00:00+00' + i * interval '17 seconds',
       CASE WHEN i % 50 = 0 THEN NULL ELSE ((i::bigint * 7919) % 10000000) / 100.0 END,
       jsonb_build_object(
         'customer', i % 100000,
         'region', (ARRAY['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south'])[1 + i % 5],
         'tags', jsonb_build_array('t' || (i % 13), 't' || (i % 29)),
         'score', (i % 1000) / 10.0,
         'flag', i % 2 = 0),
       CASE WHEN i % 10 = 0 THEN NULL
            ELSE repeat('lorem ipsum dolor sit amet ', 1 + i % 4) || md5(i::text) END,
       md5('ref' || i)::uuid,
       CASE WHEN i % 4 = 0 THEN NULL
            ELSE decode(md5('b' || i) || md5('c' || i) || md5('d' || i), 'hex') END,
       ARRAY[i % 100, i % 1000, i % 7, i],
       i % 3 = 0,
       date '2020-01-01' + (i % 3650)
FROM generate_series(1, :rows) AS i;

ALTER TABLE public.bench_mixed ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX bench_mixed_ref_idx ON public.bench_mixed (ref);
CREATE INDEX bench_mixed_created_at_idx ON public.bench_mixed (created_at);
CREATE INDEX bench_mixed_attrs_idx ON public.bench_mixed USING gin (attrs jsonb_path_ops);
ANALYZE public.bench_mixed;
