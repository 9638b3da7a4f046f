SET 'a' = 1
