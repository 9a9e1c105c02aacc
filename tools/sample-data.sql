-- Sample database for tools/quickstart: a small shop with several tables, mixed types,
-- constraints, indexes, a view and a sequence. Deterministic (setseed) so runs compare.
SELECT setseed(0.42);

CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');

CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  signed_up timestamptz NOT NULL,
  preferences jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE shop.products (
  id serial PRIMARY KEY,
  sku uuid NOT NULL UNIQUE,
  title text NOT NULL,
  price numeric(12,2) NOT NULL CHECK (price >= 0),
  tags text[] NOT NULL DEFAULT '{}',
  image bytea
);
CREATE TABLE shop.orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers(id),
  status shop.order_status NOT NULL DEFAULT 'new',
  placed_on date NOT NULL,
  note text
);
CREATE TABLE shop.order_lines (
  order_id bigint NOT NULL REFERENCES shop.orders(id) ON DELETE CASCADE,
  line_no int NOT NULL,
  product_id int NOT NULL REFERENCES shop.products(id),
  quantity int NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, line_no)
);
CREATE TABLE public.events (
  at timestamptz NOT NULL,
  kind text NOT NULL,
  payload jsonb,
  client inet,
  flags boolean[]
);
CREATE INDEX events_at_idx ON public.events (at);
CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
CREATE VIEW shop.order_totals AS
  SELECT o.id, o.customer_id, sum(l.quantity * p.price) AS total
  FROM shop.orders o JOIN shop.order_lines l ON l.order_id = o.id JOIN shop.products p ON p.id = l.product_id
  GROUP BY o.id, o.customer_id;
COMMENT ON TABLE shop.orders IS 'one row per order';

INSERT INTO shop.customers (email, name, signed_up, preferences)
SELECT 'user' || g || '@example.com', 'Customer ' || g,
       timestamptz '2020-01-01 00:00:00+00' + (g || ' minutes')::interval,
       jsonb_build_object('newsletter', g % 3 = 0, 'lang', (ARRAY['en','de','fr'])[1 + g % 3])
FROM generate_series(1, 20000) g;

INSERT INTO shop.products (sku, title, price, tags, image)
SELECT md5('sku' || g)::uuid, 'Product ' || g, round((random() * 500)::numeric, 2),
       ARRAY['tag' || (g % 7), 'tag' || (g % 11)],
       CASE WHEN g % 5 = 0 THEN decode(md5('img' || g), 'hex') END
FROM generate_series(1, 2000) g;

INSERT INTO shop.orders (customer_id, status, placed_on, note)
SELECT 1 + (g * 7919) % 20000, (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4]::shop.order_status,
       date '2021-01-01' + (g % 1000), CASE WHEN g % 10 = 0 THEN 'gift wrap, note ' || g END
FROM generate_series(1, 100000) g;

INSERT INTO shop.order_lines (order_id, line_no, product_id, quantity)
SELECT o, l, 1 + (o * 31 + l * 17) % 2000, 1 + (o + l) % 5
FROM generate_series(1, 100000) o, generate_series(1, 3) l;

INSERT INTO public.events (at, kind, payload, client, flags)
SELECT timestamptz '2024-01-01 00:00:00+00' + (g || ' seconds')::interval,
       (ARRAY['view','click','buy'])[1 + g % 3],
       jsonb_build_object('n', g, 'path', '/p/' || (g % 500)),
       ('10.0.' || (g % 256) || '.' || (g % 200))::inet,
       ARRAY[g % 2 = 0, g % 3 = 0]
FROM generate_series(1, 150000) g;

ANALYZE;
