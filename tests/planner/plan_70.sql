-- STATE_TTL hint on a regular join: each input keeps its rows for its own time; no warning
CREATE TABLE orders (id INT, user_id INT, amount DOUBLE) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE out1 (id INT, name STRING) WITH ('connector' = 'blackhole');
INSERT INTO out1
SELECT /*+ STATE_TTL('o' = '1d', 'users' = '12h') */ o.id, users.name
FROM orders AS o JOIN users ON o.user_id = users.user_id;
