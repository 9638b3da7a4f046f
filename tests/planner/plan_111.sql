-- a STATE_TTL key that names no input of the group aggregate is an error pointing at it
CREATE TABLE orders (id INT, user_id INT) WITH ('connector' = 'datagen');
SELECT /*+ STATE_TTL('orders' = '1d') */ user_id, COUNT(*) FROM orders AS o GROUP BY user_id;
