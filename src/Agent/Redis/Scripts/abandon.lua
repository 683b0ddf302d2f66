-- Removes a batch of an incomplete layer's members; ends staging once none are left. Its members must go:
-- any later layer of the dataset would otherwise see them. Marked abandoning first, so it is never resumed.
-- KEYS: 1 staging hash, 2 the layer's SKU set
-- ARGV: 1 layer, 2 record key prefix "cp:{env}:{dataset}:", 3 batch size
-- Reply: 0 when done, else 1.
if redis.call('HGET', KEYS[1], 'layer') ~= ARGV[1] then
  return redis.error_reply('STAGING layer ' .. ARGV[1] .. ' is not being written')
end
redis.call('HSET', KEYS[1], 'state', 'abandoning')
for _, sku in ipairs(redis.call('SPOP', KEYS[2], ARGV[3])) do
  redis.call('ZREMRANGEBYSCORE', ARGV[2] .. '{' .. sku .. '}', ARGV[1], ARGV[1])
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return 1
