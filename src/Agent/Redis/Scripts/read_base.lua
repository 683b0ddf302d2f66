-- The members visible in the base layer for a chunk's SKUs (read-only). Layers at or below the base never
-- change while a layer is written on it, so reading them before the chunk's write is not a race.
-- KEYS: record keys; ARGV: 1 base layer. Reply: one member ("L|json" or "L|") or nil per key.
local values = {}
for i, key in ipairs(KEYS) do
  values[i] = redis.call('ZREVRANGEBYSCORE', key, ARGV[1], '-inf', 'LIMIT', 0, 1)[1] or false
end
return values
