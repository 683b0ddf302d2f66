-- Begins a layer, or resumes the one being written when it is the same dataset, version and base.
-- KEYS: 1 staging hash, 2 layers hash, 3 layer sequence, 4 retiring hash
-- ARGV: 1 dataset, 2 version, 3 base layer ('' for none), 4 base hash sum (hex), 5 base record count
-- Reply: { status, HGETALL of the staging hash } where status is begun | resumed | busy | retiring.
if redis.call('EXISTS', KEYS[1]) == 1 then
  local s = redis.call('HMGET', KEYS[1], 'dataset', 'version', 'base', 'state')
  if s[1] == ARGV[1] and s[2] == ARGV[2] and s[3] == ARGV[3] and s[4] == 'writing' then
    return { 'resumed', redis.call('HGETALL', KEYS[1]) }
  end
  return { 'busy', redis.call('HGETALL', KEYS[1]) }
end
-- Compaction of retiring layers must not run under a new layer: it could keep members the new layer must not see.
if redis.call('HLEN', KEYS[4]) > 0 then
  return { 'retiring', {} }
end
-- Layer numbers are never reused: members of a number that was used may survive in other layers' views.
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  local layer = tonumber(string.match(field, ':(%d+)$'))
  if layer and layer > last then
    last = layer
  end
end
local layer = last + 1
redis.call('SET', KEYS[3], layer)
redis.call('HSET', KEYS[1], 'dataset', ARGV[1], 'layer', layer, 'version', ARGV[2], 'base', ARGV[3],
  'cursor', '', 'sum', ARGV[4], 'count', ARGV[5], 'state', 'writing')
return { 'begun', redis.call('HGETALL', KEYS[1]) }
