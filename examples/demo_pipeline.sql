-- make demo: a real pipeline. Generated orders are filtered and projected, then written twice
-- in one job (a statement set): printed, and archived as JSON part files.
CREATE TABLE orders (
  order_id BIGINT,
  customer STRING,
  amount   DOUBLE,
  ts       TIMESTAMP(3),
  proc AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'datagen',
  'number-of-rows' = '40',
  'rows-per-second' = '20',
  'seed' = '7',
  'fields.order_id.kind' = 'sequence',
  'fields.order_id.start' = '1',
  'fields.order_id.end' = '40',
  'fields.customer.length' = '6',
  'fields.amount.min' = '1',
  'fields.amount.max' = '500'
);

CREATE TABLE big_orders (order_id BIGINT, customer STRING, amount_cents BIGINT) WITH (
  'connector' = 'print',
  'print-identifier' = 'big'
);

CREATE TABLE archive (order_id BIGINT, customer STRING, amount DOUBLE, day_of_order DATE) WITH (
  'connector' = 'filesystem',
  'path' = 'build/demo-out',
  'format' = 'json'
);

EXECUTE STATEMENT SET BEGIN
  INSERT INTO big_orders
    SELECT order_id, UPPER(customer), CAST(ROUND(amount * 100, 0) AS BIGINT) FROM orders WHERE amount > 250;
  INSERT INTO archive
    SELECT order_id, customer, amount, CAST(ts AS DATE) FROM orders;
END;
