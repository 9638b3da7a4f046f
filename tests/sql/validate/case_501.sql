SELECT * FROM (VALUES (1, 'a'), (TRUE, 'b')) AS t(id, name);
