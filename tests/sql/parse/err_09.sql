SELECT a FROM t /* unclosed
