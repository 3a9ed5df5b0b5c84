-- Shared by the wrk scripts of bench/http: request headers every SQS JSON 1.0 call carries, and a
-- done() that prints one machine-readable "RESULT key=value ..." line for run.py. Per-thread
-- counters are globals of each thread's Lua state (wrk's thread:get reads them).
local report = {}

-- A dummy SigV4 Authorization header: real SDKs send one, and moto_server routes a request to
-- its SQS backend by the service in the credential scope. shmqd without --credentials ignores it.
function report.headers(action)
    return {
        ["Content-Type"] = "application/x-amz-json-1.0",
        ["X-Amz-Target"] = "AmazonSQS." .. action,
        ["Authorization"] = "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/sqs/aws4_request, "
            .. "SignedHeaders=content-type;host;x-amz-target, Signature=0",
    }
end

function report.queue_url()
    local url = os.getenv("QUEUE_URL")
    assert(url and url ~= "", "set QUEUE_URL to the queue's URL")
    return url
end

-- A 64-byte body: SQS bodies are text; this one needs no JSON escaping.
report.body_64 = string.rep("0123456789abcdef", 4)

local threads = {}

function report.setup(thread)
    table.insert(threads, thread)
end

-- counters: names of per-thread global counters to sum into the RESULT line.
function report.done(counters)
    return function(summary, latency, requests)
        local e = summary.errors
        local line = string.format(
            "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d "
                .. "max_us=%d mean_us=%.1f status_errors=%d connect_errors=%d read_errors=%d "
                .. "write_errors=%d timeouts=%d",
            summary.requests, summary.duration, summary.bytes, latency:percentile(50),
            latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
            latency.mean, e.status, e.connect, e.read, e.write, e.timeout)
        for _, name in ipairs(counters or {}) do
            local total = 0
            for _, thread in ipairs(threads) do
                total = total + (thread:get(name) or 0)
            end
            line = line .. string.format(" %s=%d", name, total)
        end
        io.write(line .. "\n")
    end
end

return report
