-- Values whose binary COPY form embeds type OIDs >= 10000: arrays and composites of user types,
-- arrays of composites, composites of composites, domains over them, ranges over an enum, a
-- composite with a dropped attribute, a table's row type, and arrays of information_schema
-- domains (initdb assigns those OIDs, and they differ between major versions). PostgreSQL 12
-- creates all of it. A 12/13 target rejects such values unless pgark patches the OIDs while
-- loading (docs/restore.md "PostgreSQL 12/13 targets and embedded OIDs"); tools/crossversion-check
-- FROM TO loads this file on one major and restores it into another.
CREATE SCHEMA xv;
CREATE TYPE xv.color AS ENUM ('red', 'green', 'blue');
CREATE TYPE xv.pt AS (x float8, y float8, label text, c xv.color);
CREATE TYPE xv.seg AS (a xv.pt, b xv.pt, tags xv.color[]);
CREATE DOMAIN xv.color_list AS xv.color[] CHECK (cardinality(VALUE) <= 5);
CREATE DOMAIN xv.pos_pt AS xv.pt CHECK ((VALUE).x >= 0);
CREATE DOMAIN xv.pts AS xv.pt[];
CREATE TYPE xv.colorrange AS RANGE (subtype = xv.color);
CREATE TYPE xv.span AS RANGE (subtype = int8);  -- 14+: multirange xv.span_multirange
CREATE TYPE xv.wrap AS (r xv.colorrange, d xv.pos_pt, l xv.color_list, s xv.seg[]);
CREATE TYPE xv.holey AS (a integer, gone text, c xv.color, also_gone integer, p xv.pt);
ALTER TYPE xv.holey DROP ATTRIBUTE gone;
ALTER TYPE xv.holey DROP ATTRIBUTE also_gone;
CREATE TABLE xv.item (id integer, c xv.color, tags text[]);

CREATE TABLE xv.vals (
  id integer PRIMARY KEY,
  colors xv.color[],
  grid xv.color[],
  p xv.pt,
  pts xv.pt[],
  seg xv.seg,
  segs xv.seg[],
  cl xv.color_list,
  pp xv.pos_pt,
  dpts xv.pts,
  pps xv.pos_pt[],
  cr xv.colorrange,
  crs xv.colorrange[],
  w xv.wrap,
  ws xv.wrap[],
  h xv.holey,
  hs xv.holey[],
  it xv.item,
  its xv.item[],
  ids information_schema.sql_identifier[],
  nums information_schema.cardinal_number[],
  spans xv.span[],
  plain integer[]
);
INSERT INTO xv.vals
SELECT g,
  CASE WHEN g % 7 = 0 THEN NULL WHEN g % 5 = 0 THEN '{}'
       ELSE ARRAY[c, NULL, 'blue']::xv.color[] END,
  CASE WHEN g % 3 = 0 THEN ARRAY[[c, 'red'], ['green', NULL]]::xv.color[]
       ELSE '[2:3]={red,blue}'::xv.color[] END,
  p,
  CASE WHEN g % 6 = 0 THEN NULL ELSE ARRAY[p, NULL, ROW(g, -g, NULL, NULL)::xv.pt] END,
  ROW(p, ROW(0, 0, 'origin', 'red')::xv.pt, ARRAY[c]::xv.color[])::xv.seg,
  ARRAY[ROW(p, NULL, NULL)::xv.seg, ROW(NULL, p, ARRAY[c, c]::xv.color[])::xv.seg],
  CASE WHEN g % 4 = 0 THEN NULL ELSE ARRAY[c, 'green']::xv.color_list END,
  ROW(g, g * 2, 'pos', c)::xv.pos_pt,
  ARRAY[p, p]::xv.pts,
  ARRAY[ROW(g, 1, 'a', c)::xv.pos_pt, NULL],
  CASE WHEN g % 9 = 0 THEN 'empty'::xv.colorrange ELSE xv.colorrange('red', c, '[]') END,
  ARRAY[xv.colorrange('red', 'blue'), xv.colorrange(NULL, c)],
  ROW(xv.colorrange(c, NULL), ROW(g, 0, 'w', c)::xv.pos_pt, ARRAY[c]::xv.color_list,
      ARRAY[ROW(p, p, '{}')::xv.seg])::xv.wrap,
  ARRAY[ROW(NULL, NULL, NULL, NULL)::xv.wrap, NULL,
        ROW('empty', ROW(1, 1, E'quote '' and \\ backslash', 'blue')::xv.pos_pt, '{}', '{}')::xv.wrap],
  ROW(g, c, p)::xv.holey,
  ARRAY[ROW(g, c, p)::xv.holey, ROW(NULL, NULL, NULL)::xv.holey],
  ROW(g, c, ARRAY['x', NULL])::xv.item,
  ARRAY[ROW(g, c, '{}')::xv.item],
  ARRAY['id_' || g, NULL]::information_schema.sql_identifier[],
  ARRAY[g, 0]::information_schema.cardinal_number[],
  ARRAY[xv.span(g, g * 2), 'empty'],
  ARRAY[g, g + 1]
FROM generate_series(1, 300) g,
  LATERAL (SELECT (ARRAY['red', 'green', 'blue']::xv.color[])[1 + g % 3] AS c) c,
  LATERAL (SELECT ROW(g / 7.0, -g, 'p' || g, (ARRAY['red', 'green', 'blue']::xv.color[])[1 + g % 3])::xv.pt AS p) p;
INSERT INTO xv.vals (id) VALUES (0);

-- Domains over composites and arrays as whole columns of a partitioned table: rows loaded
-- through partitions.
CREATE TABLE xv.parted (k integer NOT NULL, v xv.pts, s xv.seg[]) PARTITION BY RANGE (k);
CREATE TABLE xv.parted_low PARTITION OF xv.parted FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE xv.parted_high PARTITION OF xv.parted FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO xv.parted SELECT id, dpts, segs FROM xv.vals;
