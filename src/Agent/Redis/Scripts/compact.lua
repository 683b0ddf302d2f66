-- Removes, for the given SKUs of one dataset, every member that no retained layer can see: a member at score s
-- is kept only if some view v (a complete layer of the dataset, or the live one) has s <= v < the next score.
-- A tombstone with nothing kept below it reads as absent either way, so it goes too. The views are read here,
-- not passed in, so a stale caller can never remove what a retained or live layer reads.
-- KEYS: 1 layers hash, 2 live pointer, 3 staging hash
-- ARGV: 1 record key prefix "cp:{env}:{dataset}:", 2 dataset, 3.. SKUs
-- Reply: how many members were removed.
local dataset = ARGV[2]
if redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('BUSY a layer is being written')
end
local views = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local d, layer = string.match(field, '^(.*):(%d+)$')
  if d == dataset then
    views[#views + 1] = tonumber(layer)
  end
end
local live = redis.call('GET', KEYS[2])
if live then
  local layer = cjson.decode(live).layers[dataset]
  if layer then
    views[#views + 1] = tonumber(layer)
  end
end

local function seen(score, next_score)
  for _, v in ipairs(views) do
    if v >= score and (next_score == nil or v < next_score) then
      return true
    end
  end
  return false
end

local function is_tombstone(member)
  return string.find(member, '|', 1, true) == #member
end

local removed = 0
for i = 3, #ARGV do
  local key = ARGV[1] .. '{' .. ARGV[i] .. '}'
  local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local n = #flat / 2
  local kept = {}
  for j = 1, n do
    local member = flat[2 * j - 1]
    local next_score = nil
    if j < n then
      next_score = tonumber(flat[2 * j + 2])
    end
    if seen(tonumber(flat[2 * j]), next_score) then
      kept[#kept + 1] = member
    else
      redis.call('ZREM', key, member)
      removed = removed + 1
    end
  end
  for _, member in ipairs(kept) do
    if not is_tombstone(member) then
      break
    end
    redis.call('ZREM', key, member)
    removed = removed + 1
  end
end
return removed
