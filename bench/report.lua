-- wrk script for `make bench`: prints wrk's figures as one JSON line that bench/load.py reads.
-- Latencies are in microseconds; errors.status counts responses that were not 2xx or 3xx.
-- not_modified and other_status count responses by status where status.lua defines response(), which
-- only conditional GETs pay for (wrk hands every response to Lua once response() exists).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_modified, other_status = 0, 0
end

done = function(summary, latency, requests)
  local e = summary.errors
  local n304, other = 0, 0
  for _, thread in ipairs(threads) do
    n304 = n304 + thread:get("not_modified")
    other = other + thread:get("other_status")
  end
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
      .. '"not_modified": %d, "other_status": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, n304, other))
end
