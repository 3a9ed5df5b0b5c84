// @aws-sdk/client-sqs (JSON 1.0 protocol, AWS SDK for JavaScript v3) against shmqd's endpoint.
//
// Goal: an unmodified Node.js service works against local shmq queues by changing only its
// endpoint: queue management, messages with attributes (the SDK checks every MD5 it is given),
// batches, FIFO SequenceNumbers, and errors the SDK maps to its typed exceptions (it needs the
// x-amzn-query-error header to name them as AWS does).
// Method: start the real shmqd on a free loopback port in a private namespace and shared-memory
// directory, run the scenarios with node:test, stop it with SIGTERM.
//
// Usage: node test_node_sdk.mjs PATH_TO_SHMQD NODE_MODULES_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

const [shmqd, modules] = process.argv.slice(2);
const require = createRequire(path.join(modules, "index.js"));
const sqsModule = require("@aws-sdk/client-sqs");
const { SQSClient } = sqsModule;

const work = mkdtempSync(path.join(tmpdir(), "shmq-node-"));
mkdirSync(path.join(work, "shm"));
let daemon;
let client;

async function startDaemon() {
  daemon = spawn(shmqd, ["--data-dir", path.join(work, "data"), "--namespace", "node-" + process.pid,
                         "--listen", "127.0.0.1:0"],
                 { env: { ...process.env, SHMQ_SHM_DIR: path.join(work, "shm") }, stdio: ["ignore", "pipe", "ignore"] });
  const lines = readline.createInterface({ input: daemon.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const listening = (await iterator.next()).value;
  assert.match(listening, /^shmqd listening on /);
  assert.equal((await iterator.next()).value, "shmqd ready");
  return listening.slice("shmqd listening on ".length);
}

function call(name, input) {
  return client.send(new sqsModule[name + "Command"](input));
}

before(async () => {
  const endpoint = await startDaemon();
  client = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" },
                           maxAttempts: 1 });
});

after(async () => {
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.on("exit", resolve));
  rmSync(work, { recursive: true, force: true });
});

test("queues, messages with attributes, batches", async () => {
  const { QueueUrl } = await call("CreateQueue", { QueueName: "node-orders", Attributes: { VisibilityTimeout: "20" } });
  assert.match(QueueUrl, /\/000000000000\/node-orders$/);
  const { QueueUrls } = await call("ListQueues", { QueueNamePrefix: "node-" });
  assert.deepEqual(QueueUrls, [QueueUrl]);
  const attributes = { city: { DataType: "String", StringValue: "Zürich" },
                       raw: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 254]) } };
  const sent = await call("SendMessage", { QueueUrl, MessageBody: "hello from node", MessageAttributes: attributes });
  const received = await call("ReceiveMessage", { QueueUrl, MessageAttributeNames: ["All"], MaxNumberOfMessages: 10 });
  assert.equal(received.Messages.length, 1);
  assert.equal(received.Messages[0].MessageId, sent.MessageId);
  assert.equal(received.Messages[0].Body, "hello from node");
  assert.equal(received.Messages[0].MessageAttributes.city.StringValue, "Zürich");
  assert.deepEqual([...received.Messages[0].MessageAttributes.raw.BinaryValue], [0, 1, 254]);
  await call("DeleteMessage", { QueueUrl, ReceiptHandle: received.Messages[0].ReceiptHandle });
  const batch = await call("SendMessageBatch", { QueueUrl, Entries: [{ Id: "a", MessageBody: "1" },
                                                                     { Id: "b", MessageBody: "2" }] });
  assert.deepEqual(batch.Successful.map((entry) => entry.Id).sort(), ["a", "b"]);
  const purged = await call("PurgeQueue", { QueueUrl });
  assert.equal(purged.$metadata.httpStatusCode, 200);
  await call("DeleteQueue", { QueueUrl });
});

test("FIFO SequenceNumbers and deduplication", async () => {
  const { QueueUrl } = await call("CreateQueue", { QueueName: "node.fifo", Attributes: { FifoQueue: "true" } });
  const first = await call("SendMessage", { QueueUrl, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d" });
  const again = await call("SendMessage", { QueueUrl, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d" });
  assert.equal(again.MessageId, first.MessageId);
  assert.equal(again.SequenceNumber, first.SequenceNumber);
  await call("DeleteQueue", { QueueUrl });
});

test("errors are the SDK's typed exceptions with AWS's codes", async () => {
  await assert.rejects(call("GetQueueUrl", { QueueName: "missing" }), (error) => {
    assert.equal(error.name, "QueueDoesNotExist");
    assert.equal(error.Code, "AWS.SimpleQueueService.NonExistentQueue");
    assert.equal(error.$metadata.httpStatusCode, 400);
    return true;
  });
  const { QueueUrl } = await call("CreateQueue", { QueueName: "node-errors" });
  await assert.rejects(call("SendMessage", { QueueUrl, MessageBody: "x", DelaySeconds: 901 }), (error) => {
    assert.equal(error.name, "InvalidParameterValue"); // unmodeled: named by its query code, as against AWS
    return true;
  });
  await call("DeleteQueue", { QueueUrl });
});
