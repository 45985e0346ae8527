-- checkout.lua: POST /store/checkout, a unique Idempotency-Key per request, SKUs round-robin.
-- wrk args: <nonce> <comma-separated SKUs>; the script counts response statuses per thread.
local skus = {}
local nonce = "bench"
local sent = 0
local address = '{"name":"Bench Buyer","line1":"1 Main Street","city":"New York",' ..
                '"postal_code":"10001","country":"US"}'

function init(args)
  nonce = args[1] or nonce
  for sku in string.gmatch(args[2] or "", "[^,]+") do table.insert(skus, sku) end
  statuses = {}
end

function request()
  sent = sent + 1
  local sku = skus[((sent + tid) % #skus) + 1]
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = string.format("%s-%d-%d", nonce, tid, sent)
  local body = '{"email":"bench@example.com","address":' .. address ..
               ',"lines":[{"sku":"' .. sku .. '","quantity":1}]}'
  return wrk.format("POST", wrk.path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
