-- Compare-and-set of the live pointer, fenced by the control plane's generation: a stale order (lower or
-- equal generation) never overwrites a newer one, and repeating a switch is a no-op.
-- KEYS: 1 live pointer, 2 layers hash
-- ARGV: 1 generation of the order, 2 the new LivePointer JSON
-- Reply: the generation stored after the call.
local wanted = tonumber(ARGV[1])
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(cjson.decode(current).generation)
  if stored >= wanted then
    return stored
  end
end
-- Never point readers at a layer that is not complete.
for dataset, layer in pairs(cjson.decode(ARGV[2]).layers) do
  if redis.call('HEXISTS', KEYS[2], dataset .. ':' .. layer) == 0 then
    return redis.error_reply('LAYER ' .. dataset .. ':' .. layer .. ' is not a complete layer')
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return wanted
