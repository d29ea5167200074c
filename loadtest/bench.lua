-- bench.lua: the wrk script of loadtest/bench.
--
--   wrk -t1 -c64 -d20s -s loadtest/bench.lua URL -- [rate=R] [threads=T] [status=1]
--
-- Without rate=: a closed-loop flood (each connection sends its next request
-- as soon as the previous answer arrives); the script only reports.
--
-- rate=R (requests/s, all threads together; pass threads= the same as -t):
-- open loop. Each thread keeps its own schedule of send slots, R/T per
-- second, starting when its first connection is ready; whenever one of its
-- connections is free, delay() hands it the next slot and wrk sleeps until
-- then (max(0, slot - now), in whole milliseconds, wrk's timer unit). The
-- schedule is absolute, so rounding never accumulates into drift. A slot
-- claimed more than 1 ms after its time counts as late: every connection
-- was busy (or the load generator itself lagged), so that request went out
-- behind schedule. Caveat (coordinated omission): wrk measures latency from
-- the actual send, not from the slot, so a late request's wait for a free
-- connection is not in the percentiles; `late` and `max_lag_ms` say how
-- much that matters. (After the run wrk also adds its own synthetic samples
-- for responses slower than twice the mean per-connection interval,
-- `stats_correct`; the percentiles below include them, for both modes.)
--
-- status=1: also count responses by status (the response() hook; it makes
-- wrk copy every header and body into Lua, so keep it for low rates), check
-- that every 503 carries Retry-After, tell the app's 503 (shed) from
-- nginx's fallback 503 (no worker reachable), and bound the latency
-- percentiles of 2xx and 503 answers separately (see done()).
--
-- done() prints one line "BENCH_JSON {...}" for the bench script.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
  int clock_gettime(int clk_id, bench_timespec_t *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec_t")
local function now_s()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- Globals of each thread's Lua state, read back in done() via thread:get().
rate = 0          -- this thread's requests/s (0 = closed loop)
slots = 0         -- slots handed out
late = 0          -- slots claimed more than 1 ms after their time
max_lag = 0       -- seconds, the worst of those
statuses = {}     -- ["200"] = count (status=1 only)
no_retry_after = 0
nginx_503 = 0     -- 503s with nginx's fallback body (no worker answered)

local interval, next_slot
local LATE_S = 0.001

local threads = {}  -- setup/done state (the main Lua state)

function setup(thread)
  table.insert(threads, thread)
end

local function parse_args(args)
  local opts = {}
  for _, a in ipairs(args) do
    local k, v = string.match(a, "^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  return opts
end

function init(args)
  local opts = parse_args(args)
  local total = tonumber(opts.rate or "0") or 0
  local nthreads = tonumber(opts.threads or "1") or 1
  if total > 0 then
    rate = total / nthreads
    interval = 1 / rate
  else
    delay = nil  -- closed loop: wrk only calls delay() if it exists
  end
  if opts.status ~= "1" then
    response = nil  -- wrk skips header/body parsing if response is nil
  end
end

function delay()
  local now = now_s()
  if not next_slot then next_slot = now end
  local slot = next_slot
  next_slot = slot + interval
  slots = slots + 1
  local lag = now - slot
  if lag > LATE_S then
    late = late + 1
    if lag > max_lag then max_lag = lag end
  end
  if lag >= 0 then return 0 end
  return math.floor(-lag * 1000 + 0.5)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 503 then
    if not (headers["Retry-After"] or headers["retry-after"]) then
      no_retry_after = no_retry_after + 1
    end
    if body and string.find(body, "restarting", 1, true) then
      nginx_503 = nginx_503 + 1
    end
  end
end

local function num(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if x == math.floor(x) and math.abs(x) < 1e15 then
    return string.format("%d", x)
  end
  return string.format("%.3f", x)
end

-- The latency percentiles of a subset of the answers (a fraction f of them,
-- by count) cannot be measured by wrk, which records one histogram for all.
-- But at most a share (1 - q) of all answers are slower than the overall
-- q-quantile, so at most (1 - q) / f of the subset are: the subset's
-- p-quantile is at most the overall quantile at 1 - (1 - p) * f. An upper
-- bound, exact when the slowest answers all belong to the subset.
local function subset_bound(latency, p, f)
  if f <= 0 then return nil end
  local q = 100 - (100 - p) * f
  return latency:percentile(q) / 1000
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local out = {}
  local function put(k, v) table.insert(out, string.format("%q: %s", k, v)) end
  put("duration_s", num(secs))
  put("requests", num(summary.requests))
  put("bytes", num(summary.bytes))
  put("rps", num(summary.requests / secs))
  -- wrk counts answers with status > 399; the flood URL gives no 3xx.
  put("non2xx", num(e.status))
  put("ok", num(summary.requests - e.status))
  put("ok_rps", num((summary.requests - e.status) / secs))
  put("errors", string.format(
    '{"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}',
    e.connect, e.read, e.write, e.timeout, e.status))
  put("timeouts", num(e.timeout))
  put("latency_ms", string.format(
    '{"p50": %s, "p90": %s, "p99": %s, "p99.9": %s, "mean": %s, "max": %s}',
    num(latency:percentile(50) / 1000), num(latency:percentile(90) / 1000),
    num(latency:percentile(99) / 1000), num(latency:percentile(99.9) / 1000),
    num(latency.mean / 1000), num(latency.max / 1000)))

  local total_rate, total_slots, total_late, worst = 0, 0, 0, 0
  local counts, nra, n503nginx = {}, 0, 0
  for _, t in ipairs(threads) do
    total_rate = total_rate + (t:get("rate") or 0)
    total_slots = total_slots + (t:get("slots") or 0)
    total_late = total_late + (t:get("late") or 0)
    worst = math.max(worst, t:get("max_lag") or 0)
    nra = nra + (t:get("no_retry_after") or 0)
    n503nginx = n503nginx + (t:get("nginx_503") or 0)
    for k, v in pairs(t:get("statuses") or {}) do
      counts[k] = (counts[k] or 0) + v
    end
  end
  if total_rate > 0 then
    put("offered_rps", num(total_rate))
    put("achieved_pct", num(100 * summary.requests / secs / total_rate))
    put("slots", num(total_slots))
    put("late", num(total_late))
    put("late_pct", num(total_slots > 0 and 100 * total_late / total_slots or 0))
    put("max_lag_ms", num(worst * 1000))
  end
  local seen = 0
  local parts = {}
  for k, v in pairs(counts) do
    seen = seen + v
    table.insert(parts, string.format("%q: %d", k, v))
  end
  if seen > 0 then
    table.insert(out, '"status": {' .. table.concat(parts, ", ") .. "}")
    local n2xx, n503 = 0, counts["503"] or 0
    for k, v in pairs(counts) do
      if k:sub(1, 1) == "2" then n2xx = n2xx + v end
    end
    put("n2xx", num(n2xx))
    put("n503", num(n503))
    put("n503_nginx", num(n503nginx))
    put("n503_without_retry_after", num(nra))
    local bounds = {}
    for _, sub in ipairs({ { "2xx", n2xx }, { "503", n503 } }) do
      local f = sub[2] / seen
      if f > 0 then
        table.insert(bounds, string.format(
          '%q: {"share": %s, "p50": %s, "p90": %s, "p99": %s, "p99.9": %s}',
          sub[1], num(f), num(subset_bound(latency, 50, f)),
          num(subset_bound(latency, 90, f)), num(subset_bound(latency, 99, f)),
          num(subset_bound(latency, 99.9, f))))
      end
    end
    table.insert(out, '"latency_upper_bound_ms": {' .. table.concat(bounds, ", ") .. "}")
  end
  io.write("BENCH_JSON {" .. table.concat(out, ", ") .. "}\n")
end
