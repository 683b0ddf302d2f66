-- Moves layers out of the complete layers into the retiring hash; compaction then removes their members.
-- Refuses layers the live pointer names, and runs only while no layer is being written.
-- KEYS: 1 layers hash, 2 retiring hash, 3 live pointer, 4 staging hash
-- ARGV: fields "dataset:L" to retire
-- Reply: how many were moved.
if redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('BUSY a layer is being written')
end
local live = redis.call('GET', KEYS[3])
if live then
  local layers = cjson.decode(live).layers
  for _, field in ipairs(ARGV) do
    local dataset, layer = string.match(field, '^(.*):(%d+)$')
    if layers[dataset] and tonumber(layers[dataset]) == tonumber(layer) then
      return redis.error_reply('LIVE layer ' .. field .. ' is live')
    end
  end
end
local moved = 0
for _, field in ipairs(ARGV) do
  local info = redis.call('HGET', KEYS[1], field)
  if info then
    redis.call('HSET', KEYS[2], field, info)
    redis.call('HDEL', KEYS[1], field)
    moved = moved + 1
  end
end
return moved
