-- two VALUES in a UNION ALL: two Values sources, the union casting each to the common type
CREATE TABLE p (a DECIMAL(11, 1), b STRING) WITH ('connector'='print');
INSERT INTO p SELECT * FROM (VALUES (1, 'x'), (2, 'y')) UNION ALL SELECT * FROM (VALUES (2.5, CAST(NULL AS STRING)));
