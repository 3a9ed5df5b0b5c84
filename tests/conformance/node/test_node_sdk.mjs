// @aws-sdk/client-sqs (JSON 1.0 protocol, AWS SDK for JavaScript v3) against shmqd's endpoint.
//
// Goal: an unmodified Node.js service works against local shmq queues by changing only its
// endpoint: queue management, messages with attributes (the SDK checks every MD5 it is given),
// batches, FIFO SequenceNumbers, and errors the SDK maps to its typed exceptions (it needs the
// x-amzn-query-error header to name them as AWS does), and SigV4 signatures checked as AWS does.
// Method: start the real shmqd on a free loopback port in a private namespace and shared-memory
// directory, run the scenarios with node:test, stop it with SIGTERM.
//
// Usage: node test_node_sdk.mjs PATH_TO_SHMQD NODE_MODULES_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
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

// A shmqd of its own (name: data directory and namespace suffix); extra: more options.
async function startDaemon(name, extra = []) {
  const child = spawn(shmqd, ["--data-dir", path.join(work, name), "--namespace", `node-${name}-${process.pid}`,
                              "--listen", "127.0.0.1:0", ...extra],
                      { env: { ...process.env, SHMQ_SHM_DIR: path.join(work, "shm") },
                        stdio: ["ignore", "pipe", "ignore"] });
  const lines = readline.createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const listening = (await iterator.next()).value;
  assert.match(listening, /^shmqd listening on /);
  assert.equal((await iterator.next()).value, "shmqd ready");
  return { child, endpoint: listening.slice("shmqd listening on ".length) };
}

async function stopDaemon(child) {
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function call(name, input) {
  return client.send(new sqsModule[name + "Command"](input));
}

before(async () => {
  let endpoint;
  ({ child: daemon, endpoint } = await startDaemon("data"));
  client = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" },
                           maxAttempts: 1 });
});

after(async () => {
  await stopDaemon(daemon);
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

test("with --credentials, the SDK's SigV4 signature is verified: region, key and session token", async () => {
  writeFileSync(path.join(work, "credentials"),
                "AKIDNODE node-secret\nASIANODE node-temporary 000000000000 node-session-token\n", { mode: 0o600 });
  const { child, endpoint } = await startDaemon("signed", ["--credentials", path.join(work, "credentials"),
                                                           "--region", "eu-central-1"]);
  try {
    const signed = (region, credentials) => new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });
    const list = (sqs) => sqs.send(new sqsModule.ListQueuesCommand({}));
    const good = await list(signed("eu-central-1", { accessKeyId: "AKIDNODE", secretAccessKey: "node-secret" }));
    assert.equal(good.$metadata.httpStatusCode, 200);
    const temporary = { accessKeyId: "ASIANODE", secretAccessKey: "node-temporary", sessionToken: "node-session-token" };
    assert.equal((await list(signed("eu-central-1", temporary))).$metadata.httpStatusCode, 200);
    const refused = async (sqs, code, status) => assert.rejects(list(sqs), (error) => {
      assert.equal(error.Code ?? error.name, code);
      assert.equal(error.$metadata.httpStatusCode, status);
      return true;
    });
    await refused(signed("us-east-1", { accessKeyId: "AKIDNODE", secretAccessKey: "node-secret" }),
                  "SignatureDoesNotMatch", 403);
    await refused(signed("eu-central-1", { accessKeyId: "AKIDNODE", secretAccessKey: "other" }),
                  "SignatureDoesNotMatch", 403);
    await refused(signed("eu-central-1", { ...temporary, sessionToken: undefined }), "InvalidClientTokenId", 403);
  } finally {
    await stopDaemon(child);
  }
});
