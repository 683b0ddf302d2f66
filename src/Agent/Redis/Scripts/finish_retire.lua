-- Forgets a retired layer once its members are compacted.
-- KEYS: 1 retiring hash, 2 the layer's SKU set; ARGV: 1 field "dataset:L"
redis.call('DEL', KEYS[2])
return redis.call('HDEL', KEYS[1], ARGV[1])
