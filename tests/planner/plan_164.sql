-- Folding before predicate pushdown and join-key extraction: the folded ON condition keys the
-- join and the folded WHERE term pushes into its input; constants of a subquery fold once merged
CREATE TABLE s (id BIGINT, v INT, name STRING, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE r (rid BIGINT, w INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (id BIGINT, w INT, k INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id, w, k FROM (SELECT s.id, r.w, 3 AS k FROM s JOIN r ON s.id = r.rid AND 1 = 1) t
WHERE (TRUE OR w > 1) AND w > 2 * 2 AND k = 3;
