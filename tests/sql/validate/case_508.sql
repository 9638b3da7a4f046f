SELECT * FROM (VALUES (1, x)) AS t(a, b);
