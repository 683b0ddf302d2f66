-- Writes one chunk of the layer being staged and moves the staging cursor and running hash in the same
-- script, so a chunk is applied exactly once and a restarted agent resumes after the last applied chunk.
-- KEYS: 1 staging hash, 2 the layer's SKU set, 3.. record keys (n of them)
-- ARGV: 1 layer, 2 cursor before the chunk, 3 cursor after it, 4 hash sum after it (hex), 5 count after it,
--       6..5+n members ("L|json" or "L|"), 6+n..5+2n SKUs
-- Reply: 1 applied, 0 already applied (the reply of an earlier call was lost).
local s = redis.call('HMGET', KEYS[1], 'layer', 'cursor', 'state')
if s[1] ~= ARGV[1] or s[3] ~= 'writing' then
  return redis.error_reply('STAGING layer ' .. ARGV[1] .. ' is not being written')
end
if s[2] == ARGV[3] then
  return 0
end
if s[2] ~= ARGV[2] then
  return redis.error_reply('CURSOR layer ' .. ARGV[1] .. ' is at another position than the chunk starts from')
end
local n = #KEYS - 2
for i = 1, n do
  redis.call('ZADD', KEYS[i + 2], ARGV[1], ARGV[5 + i])
  redis.call('SADD', KEYS[2], ARGV[5 + n + i])
end
redis.call('HSET', KEYS[1], 'cursor', ARGV[3], 'sum', ARGV[4], 'count', ARGV[5])
return 1
