-- VALUES in FROM with column aliases, joined with a table; pruning keeps the columns read
CREATE TABLE g (id INT, v INT, w STRING) WITH ('connector'='datagen');
CREATE TABLE o (name STRING, v INT) WITH ('connector'='print');
INSERT INTO o SELECT t.name, g.v FROM (VALUES (1, 'a', 10), (2, 'b', 20)) AS t(id, name, unused) JOIN g ON t.id = g.id;
