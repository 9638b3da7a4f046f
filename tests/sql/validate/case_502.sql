SELECT * FROM (VALUES (NULL, 1), (NULL, 2)) AS t(a, b);
