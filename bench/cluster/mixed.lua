-- The mixed traffic of bench/cluster-load.sh (the mix of bench/mixed-load.sh): every request
-- is a path drawn at random from a file of paths (one a line, given after `--`), so unit
-- cards, indicator pages, reports (HTML, PDF), API data (JSON, CSV, XLSX) and comparisons
-- come in the proportions of that file. Counts the answers by status code and keeps the
-- first and last second (Unix time) in which a 503 and any other non-2xx came, so the
-- script can tell whether they fell inside a fault's window. `done` prints one
-- `key value` line per figure for the script to read.
--
-- Usage: wrk ... -s bench/cluster/mixed.lua URL -- PATHS_FILE

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local f = assert(io.open(args[1], "r"), "no paths file: " .. tostring(args[1]))
  for line in f:lines() do
    if line ~= "" then table.insert(paths, line) end
  end
  f:close()
  assert(#paths > 0, "the paths file is empty")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  statuses = {}
  first503, last503, firstbad, lastbad = 0, 0, 0, 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    local now = os.time()
    if status == 503 then
      if first503 == 0 then first503 = now end
      last503 = now
    else
      if firstbad == 0 then firstbad = now end
      lastbad = now
    end
  end
end

local function earliest(a, b)
  if a == 0 then return b end
  if b == 0 then return a end
  return math.min(a, b)
end

function done(summary, latency, requests)
  local all = {}
  local f503, l503, fbad, lbad = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do all[s] = (all[s] or 0) + n end
    f503 = earliest(f503, t:get("first503"))
    l503 = math.max(l503, t:get("last503"))
    fbad = earliest(fbad, t:get("firstbad"))
    lbad = math.max(lbad, t:get("lastbad"))
  end
  local non2xx, s503, s5xx_other, s4xx = 0, 0, 0, 0
  for s, n in pairs(all) do
    if s < 200 or s > 299 then non2xx = non2xx + n end
    if s == 503 then s503 = s503 + n
    elseif s >= 500 then s5xx_other = s5xx_other + n
    elseif s >= 400 then s4xx = s4xx + n end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write("== figures\n")
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("seconds %.2f\n", secs))
  io.write(string.format("rps %.1f\n", summary.requests / secs))
  io.write(string.format("p50_ms %.1f\n", latency:percentile(50) / 1000))
  io.write(string.format("p90_ms %.1f\n", latency:percentile(90) / 1000))
  io.write(string.format("p99_ms %.1f\n", latency:percentile(99) / 1000))
  io.write(string.format("max_ms %.1f\n", latency.max / 1000))
  io.write(string.format("non2xx %d\n", non2xx))
  io.write(string.format("s503 %d\n", s503))
  io.write(string.format("s5xx_other %d\n", s5xx_other))
  io.write(string.format("s4xx %d\n", s4xx))
  io.write(string.format("err_connect %d\n", e.connect))
  io.write(string.format("err_read %d\n", e.read))
  io.write(string.format("err_write %d\n", e.write))
  io.write(string.format("err_timeout %d\n", e.timeout))
  io.write(string.format("socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("first503 %d\n", f503))
  io.write(string.format("last503 %d\n", l503))
  io.write(string.format("first_other_non2xx %d\n", fbad))
  io.write(string.format("last_other_non2xx %d\n", lbad))
  local codes = {}
  for s, n in pairs(all) do table.insert(codes, string.format("%d:%d", s, n)) end
  table.sort(codes)
  io.write("statuses " .. table.concat(codes, ",") .. "\n")
end
