-- wrk: POST one OFREP evaluation per request, each for another targeting key (the hash and the
-- targeting run every time; a cache keyed by context would not help).
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"context":{"targetingKey":"tenant-' .. n .. '"}}')
end
