-- wrk script for bench-api's calibration: POST one customer and order.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name": "压测客户", "amount": "10000.00"}'
