-- wrk script for POST /v1/score (bench/preauth_bench.sh): each connection sends transactions
-- of a generated file (PREAUTH_INPUT), every thread its own share of the lines, so that no
-- end_to_end_id is asked twice until the file runs out; PREAUTH_DELAY_MS paces each
-- connection (0: as fast as it is answered). PREAUTH_PATH=/health sends GET /health instead
-- (the same server without the pipeline: the baseline). Prints the latency percentiles
-- wrk's own report leaves out, and the status codes.
local lines = {}
local next_line = 1
counts = {}  -- global: done() reads each thread's through thread:get
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  thread:set("nthreads", tonumber(os.getenv("PREAUTH_THREADS") or "2"))
  table.insert(threads, thread)
end

local path = os.getenv("PREAUTH_PATH") or "/v1/score"

function init(args)
  if path ~= "/v1/score" then return end
  local i = 0
  for line in io.lines(os.getenv("PREAUTH_INPUT")) do
    if i % nthreads == id - 1 then lines[#lines + 1] = line end
    i = i + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local pace = tonumber(os.getenv("PREAUTH_DELAY_MS") or "0")
function delay()
  return pace
end

function request()
  if path ~= "/v1/score" then return wrk.format("GET", path) end
  local body = lines[next_line]
  next_line = next_line + 1
  if next_line > #lines then next_line = 1 end
  return wrk.format(nil, "/v1/score", nil, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local us = function(p) return latency:percentile(p) end
  io.write(string.format("latency_us p50 %d p90 %d p99 %d p99.9 %d max %d\n",
                         us(50), us(90), us(99), us(99.9), latency.max))
  local statuses = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, n in pairs(c) do statuses[status] = (statuses[status] or 0) + n end
  end
  for status, n in pairs(statuses) do io.write(string.format("status %d %d\n", status, n)) end
  io.write(string.format("requests %d errors %d seconds %.2f rate %.0f\n", summary.requests,
                         summary.errors.connect + summary.errors.read + summary.errors.write +
                         summary.errors.status + summary.errors.timeout,
                         summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
end
