-- wrk: SendMessage of a 64-byte body to QUEUE_URL, the same static request on every keep-alive
-- connection (no per-request Lua, so wrk spends its CPU on I/O only). Failures show as
-- status_errors (non-2xx); run.py also checks the queue's message count afterwards.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.path = "/"
wrk.headers = report.headers("SendMessage")
wrk.body = string.format('{"QueueUrl":"%s","MessageBody":"%s"}', report.queue_url(), report.body_64)

setup = report.setup
done = report.done()
