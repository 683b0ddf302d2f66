-- Records a verified layer as complete and ends staging, atomically.
-- KEYS: 1 staging hash, 2 layers hash
-- ARGV: 1 layer, 2 field "dataset:L", 3 LayerInfo JSON, 4 the verified hash sum, 5 the verified count
-- Reply: 1 recorded, 0 already recorded.
local s = redis.call('HMGET', KEYS[1], 'layer', 'state', 'sum', 'count')
if not s[1] then
  if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
    return 0
  end
  return redis.error_reply('STAGING no layer is being written')
end
if s[1] ~= ARGV[1] or s[2] ~= 'writing' then
  return redis.error_reply('STAGING layer ' .. ARGV[1] .. ' is not being written')
end
if s[3] ~= ARGV[4] or s[4] ~= ARGV[5] then
  return redis.error_reply('STAGING layer ' .. ARGV[1] .. ' changed after it was verified')
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
