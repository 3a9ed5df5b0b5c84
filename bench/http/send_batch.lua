-- wrk: SendMessageBatch of 10 entries of 64 bytes each to QUEUE_URL, one static request. A
-- request that answers 200 may still fail entries (Failed), so run.py checks the queue's message
-- count afterwards: messages/s is 10 x requests/s only when that count agrees.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local entries = {}
for i = 0, 9 do
    entries[#entries + 1] = string.format('{"Id":"m%d","MessageBody":"%s"}', i, report.body_64)
end

wrk.method = "POST"
wrk.path = "/"
wrk.headers = report.headers("SendMessageBatch")
wrk.body = string.format('{"QueueUrl":"%s","Entries":[%s]}', report.queue_url(), table.concat(entries, ","))

setup = report.setup
done = report.done()
