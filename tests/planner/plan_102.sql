-- inlining is bounded: CTEs that each read the previous one twice would plan 2^9 copies of t
CREATE TABLE t (id INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector' = 'print');
INSERT INTO s WITH c0 AS (SELECT id, v FROM t),
  c1 AS (SELECT id, v FROM c0 UNION ALL SELECT id, v FROM c0),
  c2 AS (SELECT id, v FROM c1 UNION ALL SELECT id, v FROM c1),
  c3 AS (SELECT id, v FROM c2 UNION ALL SELECT id, v FROM c2),
  c4 AS (SELECT id, v FROM c3 UNION ALL SELECT id, v FROM c3),
  c5 AS (SELECT id, v FROM c4 UNION ALL SELECT id, v FROM c4),
  c6 AS (SELECT id, v FROM c5 UNION ALL SELECT id, v FROM c5),
  c7 AS (SELECT id, v FROM c6 UNION ALL SELECT id, v FROM c6),
  c8 AS (SELECT id, v FROM c7 UNION ALL SELECT id, v FROM c7),
  c9 AS (SELECT id, v FROM c8 UNION ALL SELECT id, v FROM c8)
SELECT id, v FROM c9;
