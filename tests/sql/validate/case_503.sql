SELECT * FROM (VALUES (1, COUNT(*))) AS t(a, b);
