-- a STATE_TTL key that names no input of the join is an error pointing at it
CREATE TABLE orders (id INT, user_id INT) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING) WITH ('connector' = 'datagen');
SELECT /*+ STATE_TTL('u' = '1d') */ o.id, users.name FROM orders AS o JOIN users ON o.user_id = users.user_id;
