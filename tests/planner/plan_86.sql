-- a view used in a join and in an aggregate
CREATE TABLE orders (id INT, user_id INT, amount BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE users (user_id INT, name STRING, country STRING) WITH ('connector' = 'datagen');
CREATE TABLE s (name STRING, total BIGINT) WITH ('connector' = 'print');
CREATE VIEW de_users AS SELECT user_id, name FROM users WHERE country = 'DE';
SET 'table.exec.state.ttl' = '1 h';
INSERT INTO s SELECT u.name, SUM(o.amount) FROM orders AS o JOIN de_users AS u ON o.user_id = u.user_id GROUP BY u.name;
