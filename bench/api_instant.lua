-- wrk script for bench/api.py: POST /applications/instant, each request a
-- new borrower (a valid resident ID number and a phone number no other
-- request uses). Arguments: <path> <first serial>. The last line wrk prints
-- is one JSON object read by bench/api.py.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local CHECKS = "10X98765432"

local function resident_id(n)
  local born = os.time({year = 1970, month = 1, day = 1 + math.floor(n / 1000) % 12000, hour = 12})
  local first17 = "110105" .. os.date("%Y%m%d", born) .. string.format("%03d", n % 1000)
  local total = 0
  for i = 1, 17 do
    total = total + tonumber(first17:sub(i, i)) * WEIGHTS[i]
  end
  local check = (total % 11) + 1
  return first17 .. CHECKS:sub(check, check)
end

function init(args)
  path = args[1]
  serial = tonumber(args[2]) + thread_index * 1000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  serial = serial + 1
  counter = counter + 1
  local body = string.format(
    '{"borrower": {"kind": "individual", "name": "压测借款人", "id_number": "%s",' ..
    ' "mobile": "199%08d", "province": "北京市", "city": "北京市",' ..
    ' "monthly_income": "9000.00", "employment_years": 4,' ..
    ' "consents": [{"purpose": "credit_report", "text_version": "2026.1", "channel": "app"}]},' ..
    ' "application": {"product_code": "working-capital", "amount": "10000.00", "term": 6}}',
    resident_id(serial), serial)
  return wrk.format(nil, path, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
