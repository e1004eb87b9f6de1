-- wrk script of bench/degradation_bench.sh: counts every answer by status class, and the stale
-- ones (tandem: X-Tandem-Degraded: stale; nginx: X-Cache-Status: STALE or UPDATING), per second
-- of the run. done() prints one line "RESULT {json}" with the totals, wrk's socket errors and
-- wrk's latency percentiles (which cover every answer, whatever its status).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, bad, stale, start = 0, 0, 0, os.time()
  -- Second of the run → answers, non-2xx, stale. Flat tables: wrk's thread:get() crashes on a
  -- table of tables.
  answers_at, bad_at, stale_at = {}, {}, {}
end

local function header(headers, name)
  return headers[name] or headers[string.lower(name)]
end

function response(status, headers, body)
  local s = os.time() - start + 1
  answers_at[s] = (answers_at[s] or 0) + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    bad_at[s] = (bad_at[s] or 0) + 1
  end
  local degraded = header(headers, "X-Tandem-Degraded")
  local cache = header(headers, "X-Cache-Status")
  if degraded == "stale" or cache == "STALE" or cache == "UPDATING" then
    stale = stale + 1
    stale_at[s] = (stale_at[s] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, total_stale, seconds = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    total_stale = total_stale + t:get("stale")
    for i, name in ipairs({"answers_at", "bad_at", "stale_at"}) do
      for s, n in pairs(t:get(name)) do
        local into = seconds[s] or {0, 0, 0}
        into[i] = into[i] + n
        seconds[s] = into
      end
    end
  end
  local timeline, last = {}, 0
  for s in pairs(seconds) do
    if s > last then last = s end
  end
  for s = 1, last do
    local b = seconds[s] or {0, 0, 0}
    timeline[#timeline + 1] = string.format("[%d,%d,%d]", b[1], b[2], b[3])
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"answers":%d,"ok":%d,"non_2xx":%d,"stale":%d,"socket_errors":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"seconds":%.3f,"timeline":[%s]}\n',
    summary.requests, total_ok, total_bad, total_stale, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.duration / 1e6, table.concat(timeline, ",")))
end
