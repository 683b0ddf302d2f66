-- Writes one page of a dataset's live changes and the position it reaches in the same script, so each page takes effect
-- exactly once however often it is retried, and a restarted agent (or a Redis restored from its persistence, which
-- restores both together) goes on from the position stored here (I5).
-- KEYS: 1 applied-changes hash, 2.. change keys (n of them, distinct SKUs)
-- ARGV: 1 dataset, 2 position the page starts after, 3 last sequence number of the page, 4 changes in the page,
--       5..4+n values "SEQ|json" or "SEQ|" (the newest change of each SKU in the page)
-- Reply: 1 applied, 0 already applied (the reply of an earlier call was lost).
local dataset = ARGV[1]
local applied = tonumber(redis.call('HGET', KEYS[1], dataset) or '0')
local last = tonumber(ARGV[3])
if applied >= last then
  return 0
end
if applied ~= tonumber(ARGV[2]) then
  return redis.error_reply('CHANGES ' .. dataset .. ' is applied up to ' .. applied .. ', not ' .. ARGV[2])
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 3])
end
-- "dataset" is the position; "dataset:count" counts the changes applied, so a test can prove none was applied twice.
redis.call('HSET', KEYS[1], dataset, ARGV[3])
redis.call('HINCRBY', KEYS[1], dataset .. ':count', tonumber(ARGV[4]))
return 1
