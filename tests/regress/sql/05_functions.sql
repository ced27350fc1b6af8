-- distance functions, operators, norms and arithmetic
SELECT l2_distance('[0,0]'::vector, '[3,4]'), '[0,0]'::vector <-> '[3,4]';
SELECT inner_product('[1,2]'::vector, '[3,4]'), '[1,2]'::vector <#> '[3,4]';
SELECT cosine_distance('[1,0]'::vector, '[0,1]'), '[1,1]'::vector <=> '[2,2]', '[1,0]'::vector <=> '[-1,0]';
SELECT cosine_distance('[0,0]'::vector, '[1,1]');
SELECT l1_distance('[0,0]'::vector, '[3,-4]'), '[0,0]'::vector <+> '[3,-4]';
SELECT vector_l2_squared_distance('[0,0]', '[3,4]'), vector_negative_inner_product('[1,2]', '[3,4]');
SELECT vector_norm('[3,4]'), l2_norm('[3,4]'::halfvec), l2_norm('{1:3,2:4}/2'::sparsevec);

SELECT l2_distance('[0,0]'::halfvec, '[3,4]'), '[0,0]'::halfvec <-> '[3,4]';
SELECT inner_product('[1,2]'::halfvec, '[3,4]'), '[1,2]'::halfvec <#> '[3,4]';
SELECT cosine_distance('[1,0]'::halfvec, '[0,1]'), '[1,1]'::halfvec <=> '[2,2]';
SELECT l1_distance('[0,0]'::halfvec, '[3,-4]'), '[0,0]'::halfvec <+> '[3,-4]';

SELECT l2_distance('{}/2'::sparsevec, '{1:3,2:4}/2'), '{1:1}/3'::sparsevec <-> '{2:1}/3';
SELECT inner_product('{1:1,2:2}/2'::sparsevec, '{1:3,2:4}/2'), '{1:1,2:2}/2'::sparsevec <#> '{2:4}/2';
SELECT cosine_distance('{1:1}/2'::sparsevec, '{2:1}/2'), '{1:1,2:1}/2'::sparsevec <=> '{1:2,2:2}/2';
SELECT l1_distance('{}/2'::sparsevec, '{1:3,2:-4}/2'), '{1:1}/3'::sparsevec <+> '{3:1}/3';

SELECT l2_normalize('[3,4]'::vector), l2_normalize('[0,0]'::vector);
SELECT l2_normalize('[3,4]'::halfvec), l2_normalize('{1:3,3:4}/3'::sparsevec);
SELECT subvector('[1,2,3,4,5]'::vector, 2, 3), subvector('[1,2,3]'::vector, 0, 2), subvector('[1,2,3]'::vector, 3, 9);
SELECT subvector('[1,2,3,4,5]'::halfvec, 2, 3);
SELECT binary_quantize('[1,-2,0,3.5,-0.1]'::vector), binary_quantize('[0.5,-1]'::halfvec);

SELECT '[1,2]'::vector + '[3,4]', '[1,2]'::vector - '[3,5]', '[1,2]'::vector * '[3,4]', '[1,2]'::vector || '[3]';
SELECT '[1,2]'::halfvec + '[3,4]', '[1,2]'::halfvec - '[3,5]', '[1,2]'::halfvec * '[3,4]', '[1,2]'::halfvec || '[3]';

SELECT err($$SELECT '[1,2]'::vector <-> '[1,2,3]'$$);
SELECT err($$SELECT inner_product('[1,2]'::vector, '[1,2,3]')$$);
SELECT err($$SELECT '[1,2]'::halfvec <=> '[1,2,3]'$$);
SELECT err($$SELECT '{1:1}/2'::sparsevec <-> '{1:1}/3'$$);
SELECT err($$SELECT '[1,2]'::vector + '[1,2,3]'$$);
SELECT err($$SELECT '[3e38]'::vector + '[3e38]'$$);
SELECT err($$SELECT '[1e-30]'::vector * '[1e-30]'$$);
SELECT err($$SELECT '[60000]'::halfvec + '[60000]'$$);
SELECT err($$SELECT subvector('[1,2,3]'::vector, 1, 0)$$);
SELECT err($$SELECT subvector('[1,2,3]'::vector, 4, 2)$$);
SELECT err($$SELECT array_fill(1, ARRAY[9000])::real[]::vector || array_fill(1, ARRAY[9000])::real[]::vector$$);

-- norms and distances of empty / zero inputs: 0 (never -0) or NaN, as pgvector
SELECT l2_norm('{}/3'::sparsevec) AS sparse_empty, vector_norm('[0,-0]') AS vec_zero, l2_norm('[-0]'::halfvec) AS half_zero;
SELECT l2_distance('{}/2'::sparsevec, '{}/2'), l1_distance('{}/2'::sparsevec, '{}/2'), inner_product('{}/2'::sparsevec, '{}/2');
SELECT cosine_distance('{}/2'::sparsevec, '{1:1}/2'), cosine_distance('[0]'::halfvec, '[1]'), cosine_distance('[0,0]'::vector, '[0,0]');
SELECT l2_normalize('[0,-0]'::vector) AS vec, l2_normalize('[-0,0]'::halfvec) AS half, l2_normalize('{}/3'::sparsevec) AS sparse;
-- <#> negates the inner product: -0 for orthogonal vectors, exactly as pgvector prints it
SELECT '{}/2'::sparsevec <#> '{1:1}/2', '[0,1]'::vector <#> '[1,0]', '[0,1]'::halfvec <#> '[1,0]';
