/**
 * The location service's Redis scripts: one per operation, each atomic for its AOR (Redis runs a
 * script to the end before any other command). RFC 3261 §10.3 step 7 rules: see README.md.
 *
 * Each script declares a fixed set of keys (the AOR's index, and for Save its nonce record) and
 * derives the binding keys from the binding key prefix and the ids it is given or finds in the
 * index. All of them carry the AOR's hash tag, so on Redis Cluster the script stays on the one
 * slot of its declared keys (Redis 7 lets a script without flags touch undeclared keys of that
 * slot). A fixed key count also lets ioredis route and auto-pipeline the call by its first key;
 * with a dynamic count it would take numkeys for the key and mix slots in one pipeline.
 *
 * Run by EVALSHA through ioredis `defineCommand` (which falls back to EVAL when a restarted server
 * has lost its script cache).
 */

/**
 * Every live binding of the index as {value, pttl, ...}. Ids whose key expired are pruned from
 * the index; when `setTtl`, the index's own TTL becomes the longest binding TTL (or it is deleted).
 */
const READ_ALL = `
local function readAll(index, prefix, out, setTtl)
  local maxTtl = 0
  for _, id in ipairs(redis.call('SMEMBERS', index)) do
    local key = prefix .. id
    local value = redis.call('HGET', key, 'v')
    local ttl = redis.call('PTTL', key)
    if value and ttl > 0 then
      out[#out + 1] = value
      out[#out + 1] = ttl
      if ttl > maxTtl then maxTtl = ttl end
    else
      redis.call('SREM', index, id)
    end
  end
  if setTtl then
    if maxTtl > 0 then redis.call('PEXPIRE', index, maxTtl) else redis.call('DEL', index) end
  end
  return out
end
`;

/**
 * RFC 7616 §3.4.2 replay check against a nonce record (HASH nc, c = Call-ID, s = CSeq): a count
 * not above the recorded one is a replay, except an equal count from the same Call-ID and CSeq,
 * which is the same request retransmitted.
 */
const NONCE_REPLAYED = `
local function nonceReplayed(record, nc, callId, cseq)
  local last = redis.call('HMGET', record, 'nc', 'c', 's')
  if not last[1] then return false end
  local lastNc = tonumber(last[1])
  return nc < lastNc or (nc == lastNc and (last[2] ~= callId or tonumber(last[3]) ~= cseq))
end
`;

/**
 * KEYS[1] index, KEYS[2] nonce record.
 * ARGV[1] binding key prefix, [2] Call-ID, [3] CSeq, [4] removeAll "1"/"0", [5] maxBindings
 * (0: none), [6] nonce-count (-1: no nonce use), [7] nonce ttl ms, then per change (one per
 * binding): binding id, lifetime ms (0 removes), Binding bytes.
 * Returns {1, value, pttl, ...} saved; {2} out of order; {3} nonce replayed; {4} too many bindings.
 * Every check runs before the first write: a refused save writes nothing.
 */
export const SAVE_SCRIPT = `${READ_ALL}${NONCE_REPLAYED}
local index = KEYS[1]
local prefix = ARGV[1]
local callId = ARGV[2]
local cseq = tonumber(ARGV[3])
local removeAll = ARGV[4] == '1'
local maxBindings = tonumber(ARGV[5])
local nc = tonumber(ARGV[6])

if nc >= 0 and nonceReplayed(KEYS[2], nc, callId, cseq) then return {3} end

local live = {}
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', index)) do
  if redis.call('EXISTS', prefix .. id) == 1 then
    live[id] = true
    count = count + 1
  else
    redis.call('SREM', index, id)
  end
end

-- RFC 3261 §10.3 step 7 against a stored binding: 0 update/remove, 1 equal CSeq of the same
-- Call-ID (a retransmission of the request that wrote it: left as it is), 2 out of order.
local function rule(key)
  local stored = redis.call('HMGET', key, 'c', 's')
  if stored[1] ~= callId then return 0 end
  local s = tonumber(stored[2])
  if s < cseq then return 0 end
  if s == cseq then return 1 end
  return 2
end

local puts = {}
local dels = {}
if removeAll then
  for id in pairs(live) do
    local r = rule(prefix .. id)
    if r == 2 then return {2} end
    if r == 0 then
      dels[#dels + 1] = id
      count = count - 1
    end
  end
else
  for j = 8, #ARGV, 3 do
    local id = ARGV[j]
    local lifetime = tonumber(ARGV[j + 1])
    local r = 0
    if live[id] then r = rule(prefix .. id) end
    if r == 2 then return {2} end
    if r == 0 then
      if lifetime > 0 then
        puts[#puts + 1] = j
        if not live[id] then count = count + 1 end
      elseif live[id] then
        dels[#dels + 1] = id
        count = count - 1
      end
    end
  end
end
if maxBindings > 0 and count > maxBindings then return {4} end

if nc >= 0 then
  redis.call('HSET', KEYS[2], 'nc', ARGV[6], 'c', callId, 's', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
for _, id in ipairs(dels) do
  redis.call('DEL', prefix .. id)
  redis.call('SREM', index, id)
end
for _, j in ipairs(puts) do
  local key = prefix .. ARGV[j]
  redis.call('HSET', key, 'v', ARGV[j + 2], 'c', callId, 's', ARGV[3])
  redis.call('PEXPIRE', key, ARGV[j + 1])
  redis.call('SADD', index, ARGV[j])
end
return readAll(index, prefix, {1}, true)
`;

/**
 * KEYS[1] nonce record; ARGV[1] nonce-count, [2] Call-ID, [3] CSeq, [4] nonce ttl ms.
 * Returns 1 accepted (recorded, the same record Save keeps), 0 replayed (nothing written).
 */
export const USE_NONCE_SCRIPT = `${NONCE_REPLAYED}
local nc = tonumber(ARGV[1])
if nonceReplayed(KEYS[1], nc, ARGV[2], tonumber(ARGV[3])) then return 0 end
redis.call('HSET', KEYS[1], 'nc', ARGV[1], 'c', ARGV[2], 's', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * KEYS[1] index; ARGV[1] binding key prefix. Returns {value, pttl, ...}. Writes only to prune
 * expired ids (an emptied set disappears by itself); the index TTL is left to the writers.
 */
export const LOOKUP_SCRIPT = `${READ_ALL}
return readAll(KEYS[1], ARGV[1], {}, false)
`;

/**
 * KEYS[1] index; ARGV[1] binding key prefix, ARGV[2..] ids of the bindings to remove (none: all).
 * Returns how many live bindings were removed.
 */
export const REMOVE_SCRIPT = `${READ_ALL}
local index = KEYS[1]
local prefix = ARGV[1]
local removed = 0
if #ARGV == 1 then
  for _, id in ipairs(redis.call('SMEMBERS', index)) do
    removed = removed + redis.call('DEL', prefix .. id)
  end
  redis.call('DEL', index)
  return removed
end
for i = 2, #ARGV do
  removed = removed + redis.call('DEL', prefix .. ARGV[i])
  redis.call('SREM', index, ARGV[i])
end
readAll(index, prefix, {}, true)
return removed
`;
