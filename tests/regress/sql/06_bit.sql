-- binary vectors on the built-in bit type
SELECT hamming_distance(B'1010', B'0110'), B'1010' <~> B'0110';
SELECT jaccard_distance(B'1010', B'0110'), B'1010' <%> B'0110', B'1100' <%> B'1100';
SELECT jaccard_distance(B'0000', B'0000');
SELECT hamming_distance(binary_quantize('[1,-1,1,-1,1,1,1,1,1]'::vector), B'111111111');
SELECT err($$SELECT B'101' <~> B'1010'$$);
SELECT err($$SELECT jaccard_distance(B'101', B'1')$$);
