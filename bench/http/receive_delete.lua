-- wrk: receive + delete on QUEUE_URL. ReceiveMessage asks for RECEIVE_MAX (1 or 10) messages;
-- response() collects the receipt handles of what came back, and the thread's next request
-- deletes them (DeleteMessage for 1, DeleteMessageBatch for up to 10) before it receives again.
-- wrk shares one Lua state among a thread's connections, so the handles a receive returned on one
-- connection may be deleted on another of the same thread: each message is still deleted once.
-- Counters (summed in RESULT): received = handles seen, deleted = handles sent in a delete,
-- bad = non-200 answers, failed_entries = DeleteMessageBatch entries that came back in Failed.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

local receive_max = tonumber(os.getenv("RECEIVE_MAX") or "1")
assert(receive_max >= 1 and receive_max <= 10, "RECEIVE_MAX is 1..10")
local url = report.queue_url()
local receive_headers = report.headers("ReceiveMessage")
local delete_headers = report.headers(receive_max == 1 and "DeleteMessage" or "DeleteMessageBatch")
-- VisibilityTimeout 300: nothing received in the run becomes visible again before it ends.
local receive_body = string.format(
    '{"QueueUrl":"%s","MaxNumberOfMessages":%d,"VisibilityTimeout":300,"WaitTimeSeconds":0}',
    url, receive_max)

local pending = {} -- receipt handles received and not yet deleted (this thread)
received = 0
deleted = 0
bad = 0
failed_entries = 0

function request()
    local count = #pending
    if count == 0 then
        return wrk.format("POST", "/", receive_headers, receive_body)
    end
    if receive_max == 1 then
        local handle = table.remove(pending)
        deleted = deleted + 1
        return wrk.format("POST", "/", delete_headers,
            string.format('{"QueueUrl":"%s","ReceiptHandle":"%s"}', url, handle))
    end
    local entries = {}
    for i = 1, math.min(count, 10) do
        entries[i] = string.format('{"Id":"d%d","ReceiptHandle":"%s"}', i, table.remove(pending))
    end
    deleted = deleted + #entries
    return wrk.format("POST", "/", delete_headers,
        string.format('{"QueueUrl":"%s","Entries":[%s]}', url, table.concat(entries, ",")))
end

function response(status, headers, body)
    if status ~= 200 then
        if bad == 0 then -- the first refusal of this thread, kept in wrk's output
            io.write("first non-200 answer: ", status, " ", body:sub(1, 300), "\n")
        end
        bad = bad + 1
        return
    end
    for handle in body:gmatch('"ReceiptHandle"%s*:%s*"([^"]*)"') do
        pending[#pending + 1] = handle
        received = received + 1
    end
    local failed = body:match('"Failed"%s*:%s*%[(.-)%]')
    if failed and failed ~= "" then
        for _ in failed:gmatch('"Id"') do
            failed_entries = failed_entries + 1
        end
    end
end

setup = report.setup
done = report.done({ "received", "deleted", "bad", "failed_entries" })
