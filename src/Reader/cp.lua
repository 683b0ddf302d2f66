#!lua name=cp

-- The reader library of the hot tier (docs/publish.md). Loaded with FUNCTION LOAD REPLACE; both functions
-- are flagged no-writes, so FCALL_RO runs them on replicas too.
--
-- Reply of both functions, or nil when there is no pointer:
--   1) release id (integer)   2) generation (integer)
--   3) dataset names, sorted   4) one array per SKU, in argument order, holding one value per dataset in the
--      order of 3): the record's canonical JSON, or nil when the SKU is absent (or deleted) in that layer.
--
-- Record keys are built from the pointer key's prefix rather than declared: a batch reads 3 x N keys and
-- callers should not have to spell the layout. That suits a standalone Redis (not Redis Cluster).

local function prefix_of(live_key)
  if string.sub(live_key, -5) ~= ':live' then
    error('cp: the key must be the live pointer cp:{env}:live, got ' .. live_key)
  end
  return string.sub(live_key, 1, -5)
end

-- The value of one SKU in layer L: the member with the highest score <= L, less its "L|" prefix.
local function visible(key, layer)
  local found = redis.call('ZREVRANGEBYSCORE', key, layer, '-inf', 'LIMIT', 0, 1)
  local member = found[1]
  if not member then
    return false
  end
  local bar = string.find(member, '|', 1, true)
  if not bar or bar == #member then
    return false -- a tombstone: deleted in that layer
  end
  return string.sub(member, bar + 1)
end

-- The pointer changes only at a switch while reads run tens of thousands of times a second, so the decoded
-- pointer of the last call is kept (per library load; it is derived from the pointer's exact text).
local cached_json, cached_pointer, cached_datasets

local function decode(pointer_json)
  if pointer_json ~= cached_json then
    local pointer = cjson.decode(pointer_json)
    local datasets = {}
    for name in pairs(pointer.layers) do
      datasets[#datasets + 1] = name
    end
    table.sort(datasets) -- pairs() has no order; callers index values by this list
    cached_json, cached_pointer, cached_datasets = pointer_json, pointer, datasets
  end
  return cached_pointer, cached_datasets
end

-- Live changes (README, "Live changes"): the newest change of a SKU, "SEQ|json" or "SEQ|" (deleted), wins over the
-- layer when SEQ is above the watermark of the version live for that dataset. Returns nil when no change applies.
local function changed(key, watermark)
  local change = redis.call('GET', key)
  if not change then
    return nil
  end
  local bar = string.find(change, '|', 1, true)
  if tonumber(string.sub(change, 1, bar - 1)) <= watermark then
    return nil -- the version includes it (or a later planned value)
  end
  if bar == #change then
    return false
  end
  return string.sub(change, bar + 1)
end

local function read(live_key, pointer_json, args, first_sku)
  local prefix = prefix_of(live_key)
  local pointer, datasets = decode(pointer_json)
  local watermarks = pointer.watermarks
  if type(watermarks) ~= 'table' then
    watermarks = {} -- a pointer written before live changes existed shows none
  end
  local rows = {}
  for i = first_sku, #args do
    local sku = args[i]
    local row = {}
    for j, name in ipairs(datasets) do
      local value = nil
      local watermark = watermarks[name]
      if watermark then
        value = changed(prefix .. 'chg:' .. name .. ':{' .. sku .. '}', tonumber(watermark))
      end
      if value == nil then
        value = visible(prefix .. name .. ':{' .. sku .. '}', pointer.layers[name])
      end
      row[j] = value
    end
    rows[#rows + 1] = row
  end
  return { pointer.release, pointer.generation, datasets, rows }
end

-- FCALL cp_get 1 cp:{env}:live SKU [SKU ...]: resolves the live pointer once, so a batch sees one release.
local function cp_get(keys, args)
  local pointer_json = redis.call('GET', keys[1])
  if not pointer_json then
    return false
  end
  return read(keys[1], pointer_json, args, 1)
end

-- FCALL cp_get_at 1 cp:{env}:live POINTER-JSON SKU [SKU ...]: reads at a pointer the caller resolved
-- before (GET cp:{env}:live), so several calls of one request see the same release even if it switches.
-- Layers stay readable as long as the agent retains them.
local function cp_get_at(keys, args)
  return read(keys[1], args[1], args, 2)
end

redis.register_function{ function_name = 'cp_get', callback = cp_get, flags = { 'no-writes' } }
redis.register_function{ function_name = 'cp_get_at', callback = cp_get_at, flags = { 'no-writes' } }
