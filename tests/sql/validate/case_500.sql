SELECT * FROM (VALUES (1, 'a'), (2, 'bb'), (3)) AS t(id, name);
