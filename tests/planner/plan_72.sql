-- a STATE_TTL duration that is not one is an error pointing at it
CREATE TABLE orders (id INT, user_id INT) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING) WITH ('connector' = 'datagen');
SELECT /*+ STATE_TTL('o' = 'forever') */ o.id, users.name FROM orders AS o JOIN users ON o.user_id = users.user_id;
