#!/usr/bin/env python3
"""End-to-end tests of the `shmq` command line (tools/shmq).

Goal: `shmq <command>` must behave like `aws sqs <command>`: same flags, same JSON (4-space
indented, keys in aws's order, nothing printed for an empty response), same error lines and exit
codes, and real queue behaviour underneath (messages sent are received with correct MD5s and
attributes, deleted messages are gone).

Method: run the built binary as a subprocess in a namespace of its own (SHMQ_NAMESPACE is unique
per run, and SHMQ_SHM_DIR points at a fresh directory under /dev/shm, so nothing else on the
host is touched) and check its stdout, stderr and exit code.
Expected shapes and codes were taken from awscli 1.45 talking to moto and from responses
recorded against AWS (/work/shared/reference/aws-recorded). Every queue a test creates is deleted
at the end, even when tests fail, and the run's directory is then removed.

Usage: test_cli.py PATH_TO_SHMQ_BINARY [unittest arguments]
"""

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import uuid

SHMQ = None  # set from argv in main
NAMESPACE = "cli-test-" + uuid.uuid4().hex[:12]
SHM_DIR = None  # a fresh directory per run, set in main
CREATED_QUEUES = set()

USAGE_EXIT = 2  # argparse errors in aws v1
FAILURE_EXIT = 255  # service and parameter errors in aws


class Run:
    """The result of one shmq invocation."""

    def __init__(self, completed):
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def json(self):
        return json.loads(self.out)

    def keys_in_order(self):
        """The top-level keys in printed order (json.loads keeps order; be explicit anyway)."""
        return [key for key, _ in json.loads(self.out, object_pairs_hook=list)]


def shmq(*args, stdin=None):
    env = dict(os.environ, SHMQ_NAMESPACE=NAMESPACE, SHMQ_SHM_DIR=SHM_DIR)
    completed = subprocess.run(
        [SHMQ, *args], capture_output=True, text=True, env=env, input=stdin, timeout=60
    )
    return Run(completed)


def md5_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data).hexdigest()


def md5_of_message_attributes(attributes):
    """SQS's canonical digest of message attributes (sqs-semantics.md)."""
    encoded = b""
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        encoded += struct.pack(">I", len(name.encode())) + name.encode()
        encoded += struct.pack(">I", len(data_type.encode())) + data_type.encode()
        if data_type.startswith("Binary"):
            raw = base64.b64decode(value["BinaryValue"])
            encoded += b"\x02" + struct.pack(">I", len(raw)) + raw
        else:
            raw = value["StringValue"].encode()
            encoded += b"\x01" + struct.pack(">I", len(raw)) + raw
    return hashlib.md5(encoded).hexdigest()


def new_queue(test, prefix="q", attributes=None):
    """Creates a queue with a unique name; returns (name, url)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    args = ["create-queue", "--queue-name", name]
    if attributes:
        args += ["--attributes", json.dumps(attributes)]
    run = shmq(*args)
    test.assertEqual(run.code, 0, run.err)
    CREATED_QUEUES.add(name)
    return name, run.json()["QueueUrl"]


class ShmqTestCase(unittest.TestCase):
    def assert_ok(self, run):
        self.assertEqual(run.code, 0, f"stdout={run.out!r} stderr={run.err!r}")

    def assert_aws_layout(self, run):
        """Printed exactly as aws prints: json.dumps(indent=4, ensure_ascii=False) + newline."""
        self.assertEqual(run.out, json.dumps(run.json(), indent=4, ensure_ascii=False) + "\n")

    def assert_service_error(self, run, code, action):
        self.assertEqual(run.code, FAILURE_EXIT, run.err)
        self.assertEqual(run.out, "")
        self.assertTrue(
            run.err.startswith(f"\nAn error occurred ({code}) when calling the {action} operation: "),
            run.err,
        )


class QueueManagementTest(ShmqTestCase):
    def test_create_get_url_list_and_delete(self):
        name, url = new_queue(self)
        self.assertTrue(url.endswith("/" + name), url)

        run = shmq("create-queue", "--queue-name", name)  # idempotent with equal attributes
        self.assert_ok(run)
        self.assertEqual(run.json(), {"QueueUrl": url})
        self.assert_aws_layout(run)

        run = shmq("get-queue-url", "--queue-name", name)
        self.assert_ok(run)
        self.assertEqual(run.json(), {"QueueUrl": url})

        run = shmq("list-queues", "--queue-name-prefix", name)
        self.assert_ok(run)
        self.assertEqual(run.json(), {"QueueUrls": [url]})
        self.assert_aws_layout(run)

        run = shmq("delete-queue", "--queue-url", url)
        self.assert_ok(run)
        self.assertEqual(run.out, "")
        CREATED_QUEUES.discard(name)
        self.assert_service_error(
            shmq("get-queue-url", "--queue-name", name),
            "AWS.SimpleQueueService.NonExistentQueue",
            "GetQueueUrl",
        )

    def test_list_queues_with_no_match_prints_nothing(self):
        run = shmq("list-queues", "--queue-name-prefix", "no-such-prefix-" + uuid.uuid4().hex)
        self.assert_ok(run)
        self.assertEqual(run.out, "")

    def test_list_queues_pagination(self):
        prefix = "page-" + uuid.uuid4().hex[:6]
        urls = sorted(new_queue(self, prefix)[1] for _ in range(3))
        everything = shmq("list-queues", "--queue-name-prefix", prefix, "--page-size", "1")
        self.assert_ok(everything)
        self.assertEqual(sorted(everything.json()["QueueUrls"]), urls)
        self.assertNotIn("NextToken", everything.json())

        first = shmq("list-queues", "--queue-name-prefix", prefix, "--max-results", "2")
        self.assert_ok(first)
        self.assertEqual(first.keys_in_order(), ["QueueUrls", "NextToken"])
        self.assertEqual(len(first.json()["QueueUrls"]), 2)
        rest = shmq(
            "list-queues", "--queue-name-prefix", prefix, "--max-results", "2",
            "--next-token", first.json()["NextToken"],
        )
        self.assert_ok(rest)
        self.assertEqual(sorted(first.json()["QueueUrls"] + rest.json()["QueueUrls"]), urls)

    def test_attributes(self):
        name, url = new_queue(self, attributes={"VisibilityTimeout": "7"})
        run = shmq("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
        self.assert_ok(run)
        self.assert_aws_layout(run)
        attributes = run.json()["Attributes"]
        self.assertEqual(attributes["VisibilityTimeout"], "7")
        self.assertEqual(attributes["DelaySeconds"], "0")
        self.assertEqual(attributes["ApproximateNumberOfMessages"], "0")
        self.assertTrue(attributes["QueueArn"].endswith(":" + name))

        # Shorthand K=V,K=V, then several names after one flag.
        run = shmq("set-queue-attributes", "--queue-url", url,
                   "--attributes", "VisibilityTimeout=9,DelaySeconds=1")
        self.assert_ok(run)
        self.assertEqual(run.out, "")
        run = shmq("get-queue-attributes", "--queue-url", url,
                   "--attribute-names", "VisibilityTimeout", "DelaySeconds")
        self.assert_ok(run)
        self.assertEqual(run.json(), {"Attributes": {"DelaySeconds": "1", "VisibilityTimeout": "9"}})

        # A JSON list of names works too.
        run = shmq("get-queue-attributes", "--queue-url", url,
                   "--attribute-names", '["MaximumMessageSize"]')
        self.assert_ok(run)
        self.assertEqual(list(run.json()["Attributes"]), ["MaximumMessageSize"])

        # No names: SQS returns no attributes and aws prints nothing.
        run = shmq("get-queue-attributes", "--queue-url", url)
        self.assert_ok(run)
        self.assertEqual(run.out, "")

        self.assert_service_error(
            shmq("get-queue-attributes", "--queue-url", url, "--attribute-names", "Bogus"),
            "InvalidAttributeName", "GetQueueAttributes",
        )

    def test_create_with_different_attributes_is_an_error(self):
        name, _ = new_queue(self, attributes={"VisibilityTimeout": "5"})
        run = shmq("create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=6")
        self.assert_service_error(run, "QueueAlreadyExists", "CreateQueue")

    def test_tags(self):
        name, url = new_queue(self)
        self.assert_ok(shmq("tag-queue", "--queue-url", url, "--tags", "a=1,b=2"))
        self.assert_ok(shmq("tag-queue", "--queue-url", url, "--tags", '{"c": "3"}'))
        run = shmq("list-queue-tags", "--queue-url", url)
        self.assert_ok(run)
        self.assert_aws_layout(run)
        self.assertEqual(run.json(), {"Tags": {"a": "1", "b": "2", "c": "3"}})
        self.assert_ok(shmq("untag-queue", "--queue-url", url, "--tag-keys", "a", "b", "c"))
        run = shmq("list-queue-tags", "--queue-url", url)
        self.assert_ok(run)
        self.assertEqual(run.out, "")  # SQS omits Tags when there are none

        # Tags given at creation.
        tagged = f"tagged-{uuid.uuid4().hex[:8]}"
        run = shmq("create-queue", "--queue-name", tagged, "--tags", "team=core")
        self.assert_ok(run)
        CREATED_QUEUES.add(tagged)
        run = shmq("list-queue-tags", "--queue-url", run.json()["QueueUrl"])
        self.assertEqual(run.json(), {"Tags": {"team": "core"}})

    def test_purge(self):
        _, url = new_queue(self)
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "x"))
        run = shmq("purge-queue", "--queue-url", url)
        self.assert_ok(run)
        self.assertEqual(run.out, "")
        self.assertEqual(shmq("receive-message", "--queue-url", url).out, "")

    def test_queue_url_of_any_host_in_this_account(self):
        name, _ = new_queue(self)
        for url in (
            f"https://sqs.eu-west-1.amazonaws.com/000000000000/{name}",
            f"http://localhost:4566/000000000000/{name}/",
            f"http://elsewhere.example/{name}",
            name,
        ):
            run = shmq("send-message", "--queue-url", url, "--message-body", "via " + url)
            self.assert_ok(run)
        run = shmq("get-queue-attributes", "--queue-url", name, "--attribute-names",
                   "ApproximateNumberOfMessages")
        self.assertEqual(run.json(), {"Attributes": {"ApproximateNumberOfMessages": "4"}})
        # Another account's URL names a queue this host does not have.
        run = shmq("send-message", "--queue-url", f"https://sqs.eu-west-1.amazonaws.com/123456789012/{name}",
                   "--message-body", "x")
        self.assert_service_error(run, "AWS.SimpleQueueService.NonExistentQueue", "SendMessage")

    def test_names_urls_and_arns_stay_in_the_namespace(self):
        """A queue of another namespace (in the same shm directory) is out of reach of every
        command, whatever path or ARN names it; nothing is moved, no file path is printed."""
        victim_namespace = "victim-" + uuid.uuid4().hex[:8]
        victim_env = dict(os.environ, SHMQ_NAMESPACE=victim_namespace, SHMQ_SHM_DIR=SHM_DIR)
        for args in (["create-queue", "--queue-name", "secret"],
                     ["send-message", "--queue-url", "secret", "--message-body", "victim's data"]):
            subprocess.run([SHMQ, *args], check=True, capture_output=True, env=victim_env, timeout=60)
        escape = f"../{victim_namespace}/secret"
        arn = "arn:aws:sqs:us-east-1:000000000000:" + escape
        mine, mine_url = new_queue(self, "mine")
        missing = "AWS.SimpleQueueService.NonExistentQueue"
        for args, code, action in (
            (["get-queue-url", "--queue-name", escape], missing, "GetQueueUrl"),
            (["get-queue-url", "--queue-name", "../../../../etc/passwd"], missing, "GetQueueUrl"),
            (["create-queue", "--queue-name", escape], "InvalidParameterValue", "CreateQueue"),
            (["receive-message", "--queue-url", escape], missing, "ReceiveMessage"),
            (["receive-message", "--queue-url", f"http://h/000000000000/{escape}"], missing, "ReceiveMessage"),
            (["purge-queue", "--queue-url", "%2e%2e"], missing, "PurgeQueue"),
            (["list-dead-letter-source-queues", "--queue-url", escape], missing, "ListDeadLetterSourceQueues"),
            (["inspect", escape], missing, "Inspect"),
            (["create-queue", "--queue-name", "src", "--attributes",
              json.dumps({"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"})})],
             "InvalidParameterValue", "CreateQueue"),
            (["start-message-move-task", "--source-arn", arn, "--destination-arn",
              "arn:aws:sqs:us-east-1:000000000000:" + mine], "InvalidParameterValue", "StartMessageMoveTask"),
            (["start-message-move-task", "--source-arn", "arn:aws:sqs:eu-west-1:000000000000:" + mine],
             "ResourceNotFoundException", "StartMessageMoveTask"),
            (["list-message-move-tasks", "--source-arn", arn], "InvalidParameterValue", "ListMessageMoveTasks"),
        ):
            with self.subTest(args=args):
                run = shmq(*args)
                if action == "Inspect":
                    self.assertNotEqual(run.code, 0)
                    self.assertIn(missing, run.err)
                else:
                    self.assert_service_error(run, code, action)
                self.assertNotIn(SHM_DIR, run.err)
        self.assertEqual(shmq("receive-message", "--queue-url", mine_url).out, "")
        victim = subprocess.run([SHMQ, "get-queue-attributes", "--queue-url", "secret", "--attribute-names",
                                 "ApproximateNumberOfMessages"], capture_output=True, text=True, env=victim_env,
                                timeout=60)
        self.assertEqual(json.loads(victim.stdout), {"Attributes": {"ApproximateNumberOfMessages": "1"}})

    def test_dead_letter_source_queues(self):
        dlq_name, dlq_url = new_queue(self, "dlq")
        arn = shmq("get-queue-attributes", "--queue-url", dlq_url, "--attribute-names",
                   "QueueArn").json()["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"})
        _, source_url = new_queue(self, "src", attributes={"RedrivePolicy": policy})
        run = shmq("list-dead-letter-source-queues", "--queue-url", dlq_url)
        self.assert_ok(run)
        self.assert_aws_layout(run)
        self.assertEqual(run.json(), {"queueUrls": [source_url]})

        _, lonely_url = new_queue(self)
        run = shmq("list-dead-letter-source-queues", "--queue-url", lonely_url)
        self.assertEqual(run.json(), {"queueUrls": []})  # required member: printed when empty


class MessageTest(ShmqTestCase):
    def test_send_receive_delete(self):
        _, url = new_queue(self)
        attributes = {
            "colour": {"DataType": "String", "StringValue": "blue"},
            "count": {"DataType": "Number.int", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01\xfe").decode()},
        }
        body = "hello, wörld \"quoted\"\n\ttab"
        run = shmq("send-message", "--queue-url", url, "--message-body", body,
                   "--message-attributes", json.dumps(attributes))
        self.assert_ok(run)
        self.assert_aws_layout(run)
        self.assertEqual(run.keys_in_order(), ["MD5OfMessageBody", "MD5OfMessageAttributes", "MessageId"])
        sent = run.json()
        self.assertEqual(sent["MD5OfMessageBody"], md5_hex(body))
        self.assertEqual(sent["MD5OfMessageAttributes"], md5_of_message_attributes(attributes))
        uuid.UUID(sent["MessageId"])

        run = shmq("receive-message", "--queue-url", url, "--attribute-names", "All",
                   "--message-attribute-names", "All", "--max-number-of-messages", "10")
        self.assert_ok(run)
        self.assert_aws_layout(run)
        messages = run.json()["Messages"]
        self.assertEqual(len(messages), 1)
        message = messages[0]
        self.assertEqual(list(message), ["MessageId", "ReceiptHandle", "MD5OfBody", "Body",
                                         "Attributes", "MD5OfMessageAttributes", "MessageAttributes"])
        self.assertEqual(message["MessageId"], sent["MessageId"])
        self.assertEqual(message["Body"], body)
        self.assertEqual(message["MD5OfBody"], md5_hex(body))
        self.assertEqual(message["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"])
        self.assertEqual(message["MessageAttributes"], attributes)
        for value in message["MessageAttributes"].values():
            self.assertEqual(list(value)[-1], "DataType")  # aws prints the value first
        system = message["Attributes"]
        self.assertEqual(list(system), ["SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                        "ApproximateFirstReceiveTimestamp"])
        self.assertEqual(system["SenderId"], str(os.getuid()))
        self.assertEqual(system["ApproximateReceiveCount"], "1")
        for key in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
            self.assertTrue(system[key].isdigit() and len(system[key]) == 13, system[key])

        run = shmq("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
        self.assert_ok(run)
        self.assertEqual(run.out, "")

        run = shmq("receive-message", "--queue-url", url, "--visibility-timeout", "0")
        self.assert_ok(run)
        self.assertEqual(run.out, "")  # an empty receive prints nothing, as aws
        self.assertEqual(run.err, "")

    def test_receive_returns_only_requested_attributes(self):
        _, url = new_queue(self)
        attributes = {
            "Hello": {"DataType": "String", "StringValue": "There"},
            "Help.Me": {"DataType": "String", "StringValue": "Me"},
            "General": {"DataType": "String", "StringValue": "Kenobi"},
        }
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "msg",
                            "--message-attributes", json.dumps(attributes)))

        def receive(*extra):
            run = shmq("receive-message", "--queue-url", url, "--visibility-timeout", "0", *extra)
            self.assert_ok(run)
            return run.json()["Messages"][0]

        plain = receive()
        self.assertEqual(list(plain), ["MessageId", "ReceiptHandle", "MD5OfBody", "Body"])

        some = receive("--message-system-attribute-names", "SentTimestamp",
                       "--message-attribute-names", "He.*")
        self.assertEqual(list(some["Attributes"]), ["SentTimestamp"])
        self.assertEqual(sorted(some["MessageAttributes"]), ["Hello", "Help.Me"])
        # SQS digests only the attributes it returns.
        selected = {k: attributes[k] for k in ("Hello", "Help.Me")}
        self.assertEqual(some["MD5OfMessageAttributes"], md5_of_message_attributes(selected))

        none_match = receive("--message-attribute-names", "Nope")
        self.assertNotIn("MessageAttributes", none_match)
        self.assertNotIn("MD5OfMessageAttributes", none_match)
        self.assertEqual(receive("--attribute-names", "ApproximateReceiveCount")["Attributes"],
                         {"ApproximateReceiveCount": "4"})

    def test_shorthand_message_attributes(self):
        _, url = new_queue(self)
        run = shmq("send-message", "--queue-url", url, "--message-body", "b",
                   "--message-attributes", "k={DataType=String,StringValue=v}")
        self.assert_ok(run)
        expected = {"k": {"DataType": "String", "StringValue": "v"}}
        self.assertEqual(run.json()["MD5OfMessageAttributes"], md5_of_message_attributes(expected))

    def test_change_message_visibility(self):
        _, url = new_queue(self)
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "v"))
        handle = shmq("receive-message", "--queue-url", url).json()["Messages"][0]["ReceiptHandle"]
        self.assertEqual(shmq("receive-message", "--queue-url", url).out, "")  # in flight
        run = shmq("change-message-visibility", "--queue-url", url, "--receipt-handle", handle,
                   "--visibility-timeout", "0")
        self.assert_ok(run)
        self.assertEqual(run.out, "")
        again = shmq("receive-message", "--queue-url", url, "--attribute-names", "All")
        self.assertEqual(again.json()["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "2")

    def test_long_poll_wait_time(self):
        _, url = new_queue(self)
        run = shmq("receive-message", "--queue-url", url, "--wait-time-seconds", "1")
        self.assert_ok(run)
        self.assertEqual(run.out, "")

    def test_delay_seconds_out_of_range(self):
        _, url = new_queue(self)
        run = shmq("send-message", "--queue-url", url, "--message-body", "x", "--delay-seconds", "901")
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")
        run = shmq("send-message", "--queue-url", url, "--message-body", "x", "--delay-seconds", "-1")
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")

    def test_receipt_handle_errors(self):
        _, url = new_queue(self)
        run = shmq("delete-message", "--queue-url", url, "--receipt-handle", "bogus")
        self.assert_service_error(run, "ReceiptHandleIsInvalid", "DeleteMessage")

    def test_aws_trace_header(self):
        # The AWSTraceHeader message system attribute: sent alone and in batches, digested as
        # SQS digests it (MD5OfMessageSystemAttributes), returned when asked for.
        _, url = new_queue(self)
        header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": header}}
        run = shmq("send-message", "--queue-url", url, "--message-body", "traced",
                   "--message-system-attributes", json.dumps(trace))
        self.assert_ok(run)
        self.assertEqual(run.json()["MD5OfMessageSystemAttributes"],
                         md5_of_message_attributes(trace))
        self.assertEqual(run.keys_in_order(), ["MD5OfMessageBody", "MD5OfMessageSystemAttributes", "MessageId"])
        # Another name, or another type, fails that entry only.
        run = shmq("send-message-batch", "--queue-url", url, "--entries", json.dumps([
            {"Id": "a", "MessageBody": "batched", "MessageSystemAttributes": trace},
            {"Id": "b", "MessageBody": "x", "MessageSystemAttributes": {"Other": trace["AWSTraceHeader"]}},
            {"Id": "c", "MessageBody": "x",
             "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}}}]))
        self.assert_ok(run)
        self.assertEqual([entry["Id"] for entry in run.json()["Successful"]], ["a"])
        self.assertIn("MD5OfMessageSystemAttributes", run.json()["Successful"][0])
        self.assertEqual([(f["Id"], f["Code"]) for f in run.json()["Failed"]],
                         [("b", "InvalidParameterValue"), ("c", "InvalidParameterValue")])
        run = shmq("send-message", "--queue-url", url, "--message-body", "x",
                   "--message-system-attributes", json.dumps({"Other": trace["AWSTraceHeader"]}))
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")
        run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                   "--message-system-attribute-names", "AWSTraceHeader")
        self.assert_ok(run)
        messages = {m["Body"]: m for m in run.json()["Messages"]}
        self.assertEqual(sorted(messages), ["batched", "traced"])
        for message in messages.values():
            self.assertEqual(message["Attributes"], {"AWSTraceHeader": header})


def new_fifo_queue(test, content_based=False, **attributes):
    attributes = {"FifoQueue": "true", **attributes}
    if content_based:
        attributes["ContentBasedDeduplication"] = "true"
    name = f"fifo-{uuid.uuid4().hex[:10]}.fifo"
    run = shmq("create-queue", "--queue-name", name, "--attributes", json.dumps(attributes))
    test.assertEqual(run.code, 0, run.err)
    CREATED_QUEUES.add(name)
    return name, run.json()["QueueUrl"]


class FifoTest(ShmqTestCase):
    """FIFO queues; shapes from awscli 1.45 + moto and AWS's recorded responses."""

    def send(self, url, body, *extra):
        run = shmq("send-message", "--queue-url", url, "--message-body", body, *extra)
        self.assert_ok(run)
        self.assert_aws_layout(run)
        return run

    def test_create_with_shorthand_and_attributes(self):
        name = f"fifo-{uuid.uuid4().hex[:10]}.fifo"
        run = shmq("create-queue", "--queue-name", name,
                   "--attributes", "FifoQueue=true,ContentBasedDeduplication=true")
        self.assert_ok(run)
        CREATED_QUEUES.add(name)
        url = run.json()["QueueUrl"]
        self.assertTrue(url.endswith("/" + name), url)
        run = shmq("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
        self.assert_ok(run)
        self.assert_aws_layout(run)
        attributes = run.json()["Attributes"]
        self.assertEqual(attributes["FifoQueue"], "true")
        self.assertEqual(attributes["ContentBasedDeduplication"], "true")
        self.assertEqual(attributes["DeduplicationScope"], "queue")
        self.assertEqual(attributes["FifoThroughputLimit"], "perQueue")
        run = shmq("get-queue-attributes", "--queue-url", url,
                   "--attribute-names", "FifoQueue", "ContentBasedDeduplication")
        self.assert_ok(run)
        self.assertEqual(run.json(), {"Attributes": {"ContentBasedDeduplication": "true",
                                                     "FifoQueue": "true"}})

    def test_send_sequence_numbers_and_deduplication(self):
        _, url = new_fifo_queue(self)
        first = self.send(url, "one", "--message-group-id", "g", "--message-deduplication-id", "d1")
        # SendMessageResult order; SequenceNumber is a string, as aws prints it.
        self.assertEqual(first.keys_in_order(), ["MD5OfMessageBody", "MessageId", "SequenceNumber"])
        self.assertEqual(first.json()["MD5OfMessageBody"], md5_hex("one"))
        uuid.UUID(first.json()["MessageId"])
        self.assertIsInstance(first.json()["SequenceNumber"], str)
        self.assertTrue(first.json()["SequenceNumber"].isdigit(), first.json())

        attributes = {"k": {"DataType": "String", "StringValue": "v"}}
        second = self.send(url, "two", "--message-group-id", "g", "--message-deduplication-id", "d2",
                           "--message-attributes", json.dumps(attributes))
        self.assertEqual(second.keys_in_order(),
                         ["MD5OfMessageBody", "MD5OfMessageAttributes", "MessageId", "SequenceNumber"])
        self.assertGreater(int(second.json()["SequenceNumber"]), int(first.json()["SequenceNumber"]))

        # A duplicate within the deduplication interval succeeds with the original's identity
        # and is not enqueued again.
        again = self.send(url, "one (retry)", "--message-group-id", "g",
                          "--message-deduplication-id", "d1")
        self.assertEqual(again.json()["MessageId"], first.json()["MessageId"])
        self.assertEqual(again.json()["SequenceNumber"], first.json()["SequenceNumber"])

        run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10")
        self.assert_ok(run)
        self.assertEqual([m["Body"] for m in run.json()["Messages"]], ["one", "two"])

    def test_content_based_deduplication(self):
        _, url = new_fifo_queue(self, content_based=True)
        first = self.send(url, "same", "--message-group-id", "g")
        again = self.send(url, "same", "--message-group-id", "g")
        self.assertEqual(again.json()["MessageId"], first.json()["MessageId"])
        run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                   "--attribute-names", "MessageDeduplicationId")
        self.assert_ok(run)
        messages = run.json()["Messages"]
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages[0]["Attributes"],
                         {"MessageDeduplicationId": hashlib.sha256(b"same").hexdigest()})

    def test_receive_shows_fifo_attributes_in_order(self):
        _, url = new_fifo_queue(self)
        sent = [self.send(url, f"m{i}", "--message-group-id", "g1",
                          "--message-deduplication-id", f"d{i}").json() for i in range(3)]
        run = shmq("receive-message", "--queue-url", url, "--attribute-names", "All",
                   "--max-number-of-messages", "10")
        self.assert_ok(run)
        self.assert_aws_layout(run)
        messages = run.json()["Messages"]
        self.assertEqual([m["Body"] for m in messages], ["m0", "m1", "m2"])  # order in the group
        self.assertEqual([m["MessageId"] for m in messages], [s["MessageId"] for s in sent])
        for index, message in enumerate(messages):
            system = message["Attributes"]
            # awscli + moto's order; AWS's recorded response has the same members, all strings.
            self.assertEqual(list(system), ["SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                            "ApproximateFirstReceiveTimestamp",
                                            "MessageDeduplicationId", "MessageGroupId",
                                            "SequenceNumber"])
            self.assertEqual(system["MessageGroupId"], "g1")
            self.assertEqual(system["MessageDeduplicationId"], f"d{index}")
            self.assertEqual(system["SequenceNumber"], sent[index]["SequenceNumber"])

        # While the group has messages in flight, nothing more of it is delivered.
        self.send(url, "m3", "--message-group-id", "g1", "--message-deduplication-id", "d3")
        self.assertEqual(shmq("receive-message", "--queue-url", url).out, "")

        # By name, through either flag.
        entries = [f"Id=d{i},ReceiptHandle={m['ReceiptHandle']}" for i, m in enumerate(messages)]
        self.assert_ok(shmq("delete-message-batch", "--queue-url", url, "--entries", *entries))
        run = shmq("receive-message", "--queue-url", url,
                   "--message-system-attribute-names", "SequenceNumber", "MessageGroupId")
        self.assert_ok(run)
        message = run.json()["Messages"][0]
        self.assertEqual(message["Body"], "m3")
        self.assertEqual(sorted(message["Attributes"]), ["MessageGroupId", "SequenceNumber"])
        self.assertGreater(int(message["Attributes"]["SequenceNumber"]),
                           int(sent[-1]["SequenceNumber"]))

    def test_missing_and_invalid_fifo_parameters(self):
        _, url = new_fifo_queue(self)
        run = shmq("send-message", "--queue-url", url, "--message-body", "x",
                   "--message-deduplication-id", "d")
        self.assert_service_error(run, "MissingParameter", "SendMessage")
        self.assertTrue(run.err.endswith(": The request must contain the parameter MessageGroupId.\n"),
                        run.err)
        run = shmq("send-message", "--queue-url", url, "--message-body", "x",
                   "--message-group-id", "g")
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")
        self.assertIn("The queue should either have ContentBasedDeduplication enabled or "
                      "MessageDeduplicationId provided explicitly", run.err)
        run = shmq("send-message", "--queue-url", url, "--message-body", "x",
                   "--message-group-id", "g", "--message-deduplication-id", "d",
                   "--delay-seconds", "2")
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")
        self.assertIn("Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
                      "parameter that is not valid for this queue type.", run.err)
        self.assertEqual(shmq("receive-message", "--queue-url", url).out, "")

    def test_standard_queue_group_id_and_deduplication_id(self):
        _, url = new_queue(self)
        run = self.send(url, "s", "--message-group-id", "tenant-1")
        self.assertEqual(run.keys_in_order(), ["MD5OfMessageBody", "MessageId"])  # no SequenceNumber
        run = shmq("send-message", "--queue-url", url, "--message-body", "x",
                   "--message-deduplication-id", "d")
        self.assert_service_error(run, "InvalidParameterValue", "SendMessage")
        self.assertIn("MessageDeduplicationId", run.err)
        run = shmq("receive-message", "--queue-url", url, "--attribute-names", "All")
        self.assert_ok(run)
        system = run.json()["Messages"][0]["Attributes"]
        self.assertEqual(system["MessageGroupId"], "tenant-1")
        self.assertNotIn("SequenceNumber", system)
        self.assertNotIn("MessageDeduplicationId", system)

    def test_receive_request_attempt_id(self):
        _, url = new_fifo_queue(self)
        for body in ("r1", "r2"):
            self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", body,
                                "--message-group-id", "g", "--message-deduplication-id", body))
        first = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                     "--receive-request-attempt-id", "try-1")
        self.assert_ok(first)
        again = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                     "--receive-request-attempt-id", "try-1")
        self.assert_ok(again)
        self.assertEqual([m["ReceiptHandle"] for m in again.json()["Messages"]],
                         [m["ReceiptHandle"] for m in first.json()["Messages"]])
        self.assertEqual([m["Body"] for m in again.json()["Messages"]], ["r1", "r2"])

    def test_send_batch(self):
        _, url = new_fifo_queue(self)
        # As AWS answers: an entry without its FIFO ids fails the whole request.
        for bad, message in (
                ({"Id": "nogroup", "MessageBody": "x", "MessageDeduplicationId": "2"},
                 "The request must contain the parameter MessageGroupId."),
                ({"Id": "nodedup", "MessageBody": "y", "MessageGroupId": "g"},
                 "The queue should either have ContentBasedDeduplication enabled or "
                 "MessageDeduplicationId provided explicitly")):
            run = shmq("send-message-batch", "--queue-url", url, "--entries", json.dumps([
                {"Id": "ok", "MessageBody": "fine", "MessageGroupId": "g", "MessageDeduplicationId": "0"},
                bad]))
            self.assert_service_error(run, "InvalidParameterValue", "SendMessageBatch")
            self.assertTrue(run.err.endswith(": " + message + "\n"), run.err)
        entries = [
            {"Id": "a", "MessageBody": "first", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
            {"Id": "bad", "MessageBody": "bad \u0001 character", "MessageGroupId": "g",
             "MessageDeduplicationId": "2"},
            {"Id": "b", "MessageBody": "second", "MessageGroupId": "g", "MessageDeduplicationId": "3",
             "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        ]
        run = shmq("send-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
        self.assert_ok(run)
        self.assert_aws_layout(run)
        result = run.json()
        self.assertEqual([e["Id"] for e in result["Successful"]], ["a", "b"])
        self.assertEqual(list(result["Successful"][0]),
                         ["Id", "MessageId", "MD5OfMessageBody", "SequenceNumber"])
        self.assertEqual(list(result["Successful"][1]),
                         ["Id", "MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes",
                          "SequenceNumber"])
        sequence = [int(e["SequenceNumber"]) for e in result["Successful"]]
        self.assertLess(sequence[0], sequence[1])
        self.assertEqual([(f["Id"], f["SenderFault"], f["Code"]) for f in result["Failed"]],
                         [("bad", True, "InvalidMessageContents")])

        # Shorthand entries, one of them a duplicate of "a".
        run = shmq("send-message-batch", "--queue-url", url, "--entries",
                   "Id=c,MessageBody=third,MessageGroupId=g,MessageDeduplicationId=4",
                   "Id=dup,MessageBody=again,MessageGroupId=g,MessageDeduplicationId=1")
        self.assert_ok(run)
        successful = run.json()["Successful"]
        self.assertEqual(run.json()["Failed"], [])
        self.assertGreater(int(successful[0]["SequenceNumber"]), sequence[1])
        self.assertEqual(successful[1]["MessageId"], result["Successful"][0]["MessageId"])

        run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                   "--attribute-names", "All")
        self.assert_ok(run)
        messages = run.json()["Messages"]
        self.assertEqual([m["Body"] for m in messages], ["first", "second", "third"])
        self.assertEqual([m["Attributes"]["MessageDeduplicationId"] for m in messages],
                         ["1", "3", "4"])


class BatchTest(ShmqTestCase):
    def test_send_batch_success_and_failure(self):
        _, url = new_queue(self)
        entries = [
            {"Id": "ok1", "MessageBody": "first"},
            {"Id": "late", "MessageBody": "second", "DelaySeconds": 5000},
            {"Id": "ok2", "MessageBody": "third",
             "MessageAttributes": {"a": {"DataType": "String", "StringValue": "x"}}},
        ]
        run = shmq("send-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
        self.assert_ok(run)
        self.assert_aws_layout(run)
        self.assertEqual(run.keys_in_order(), ["Successful", "Failed"])
        result = run.json()
        self.assertEqual([e["Id"] for e in result["Successful"]], ["ok1", "ok2"])
        self.assertEqual(list(result["Successful"][0]), ["Id", "MessageId", "MD5OfMessageBody"])
        self.assertEqual(result["Successful"][0]["MD5OfMessageBody"], md5_hex("first"))
        self.assertEqual(result["Successful"][1]["MD5OfMessageAttributes"],
                         md5_of_message_attributes(entries[2]["MessageAttributes"]))
        self.assertEqual(len(result["Failed"]), 1)
        failed = result["Failed"][0]
        self.assertEqual(list(failed), ["Id", "SenderFault", "Code", "Message"])
        self.assertEqual(failed["Id"], "late")
        self.assertIs(failed["SenderFault"], True)
        self.assertEqual(failed["Code"], "InvalidParameterValue")

        run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10")
        self.assertEqual(sorted(m["Body"] for m in run.json()["Messages"]), ["first", "third"])

    def test_send_batch_shorthand_and_empty_failed_list(self):
        _, url = new_queue(self)
        run = shmq("send-message-batch", "--queue-url", url,
                   "--entries", "Id=a,MessageBody=b", "Id=c,MessageBody=d")
        self.assert_ok(run)
        result = run.json()
        self.assertEqual([e["Id"] for e in result["Successful"]], ["a", "c"])
        self.assertEqual(result["Failed"], [])  # both lists are always printed

    def test_batch_request_errors(self):
        _, url = new_queue(self)
        bad_id = shmq("send-message-batch", "--queue-url", url,
                      "--entries", '[{"Id": "no!", "MessageBody": "x"}]')
        self.assert_service_error(bad_id, "AWS.SimpleQueueService.InvalidBatchEntryId",
                                  "SendMessageBatch")
        repeated = shmq("send-message-batch", "--queue-url", url,
                        "--entries", "Id=a,MessageBody=x", "Id=a,MessageBody=y")
        self.assert_service_error(repeated, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                                  "SendMessageBatch")
        too_many = shmq("send-message-batch", "--queue-url", url, "--entries",
                        json.dumps([{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]))
        self.assert_service_error(too_many, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                                  "SendMessageBatch")
        unknown = shmq("send-message-batch", "--queue-url", url, "--entries", "Id=a,Bogus=b")
        self.assertEqual(unknown.code, FAILURE_EXIT)
        self.assertIn("Parameter validation failed", unknown.err)
        self.assertIn('Unknown parameter in Entries[0]: "Bogus"', unknown.err)

    def test_delete_and_change_visibility_batch(self):
        _, url = new_queue(self)
        self.assert_ok(shmq("send-message-batch", "--queue-url", url,
                            "--entries", "Id=a,MessageBody=1", "Id=b,MessageBody=2"))
        messages = shmq("receive-message", "--queue-url", url,
                        "--max-number-of-messages", "10").json()["Messages"]
        self.assertEqual(len(messages), 2)
        change = [{"Id": f"m{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                  for i, m in enumerate(messages)]
        change.append({"Id": "bad", "ReceiptHandle": "bogus", "VisibilityTimeout": 0})
        run = shmq("change-message-visibility-batch", "--queue-url", url,
                   "--entries", json.dumps(change))
        self.assert_ok(run)
        self.assert_aws_layout(run)
        self.assertEqual(run.json()["Successful"], [{"Id": "m0"}, {"Id": "m1"}])
        self.assertEqual([(f["Id"], f["Code"]) for f in run.json()["Failed"]],
                         [("bad", "ReceiptHandleIsInvalid")])

        messages = shmq("receive-message", "--queue-url", url,
                        "--max-number-of-messages", "10").json()["Messages"]
        entries = [f"Id=d{i},ReceiptHandle={m['ReceiptHandle']}" for i, m in enumerate(messages)]
        run = shmq("delete-message-batch", "--queue-url", url, "--entries", *entries)
        self.assert_ok(run)
        self.assertEqual(run.json(), {"Successful": [{"Id": "d0"}, {"Id": "d1"}], "Failed": []})
        run = shmq("receive-message", "--queue-url", url, "--visibility-timeout", "0")
        self.assertEqual(run.out, "")


class ParameterFileTest(ShmqTestCase):
    def test_file_and_fileb(self):
        _, url = new_queue(self)
        with tempfile.TemporaryDirectory() as directory:
            text_path = os.path.join(directory, "body.txt")
            with open(text_path, "wb") as file:
                file.write("crlf\r\nline ünïcode\n".encode())
            binary_path = os.path.join(directory, "body.bin")
            with open(binary_path, "wb") as file:
                file.write(b"raw\r\nbytes")
            attributes_path = os.path.join(directory, "attributes.json")
            with open(attributes_path, "w") as file:
                json.dump({"f": {"DataType": "String", "StringValue": "from file"}}, file)

            # file:// reads text as Python does: \r\n becomes \n.
            run = shmq("send-message", "--queue-url", url, "--message-body", "file://" + text_path,
                       "--message-attributes", "file://" + attributes_path)
            self.assert_ok(run)
            self.assertEqual(run.json()["MD5OfMessageBody"], md5_hex("crlf\nline ünïcode\n"))
            self.assertEqual(run.json()["MD5OfMessageAttributes"], md5_of_message_attributes(
                {"f": {"DataType": "String", "StringValue": "from file"}}))
            # fileb:// keeps the bytes.
            run = shmq("send-message", "--queue-url", url, "--message-body", "fileb://" + binary_path)
            self.assert_ok(run)
            self.assertEqual(run.json()["MD5OfMessageBody"], md5_hex(b"raw\r\nbytes"))

            entries_path = os.path.join(directory, "entries.json")
            with open(entries_path, "w") as file:
                json.dump([{"Id": "f1", "MessageBody": "batch from file"}], file)
            run = shmq("send-message-batch", "--queue-url", url, "--entries", "file://" + entries_path)
            self.assert_ok(run)
            self.assertEqual(run.json()["Successful"][0]["MD5OfMessageBody"], md5_hex("batch from file"))

        bodies = []
        for _ in range(3):
            run = shmq("receive-message", "--queue-url", url, "--max-number-of-messages", "10")
            self.assert_ok(run)
            if run.out:
                bodies += [m["Body"] for m in run.json()["Messages"]]
        self.assertEqual(sorted(bodies), sorted(["crlf\nline ünïcode\n", "raw\r\nbytes",
                                                 "batch from file"]))

    def test_missing_file(self):
        _, url = new_queue(self)
        run = shmq("send-message", "--queue-url", url, "--message-body", "file:///no/such/file")
        self.assertEqual(run.code, FAILURE_EXIT)
        self.assertTrue(run.err.startswith("\nError parsing parameter '--message-body': "
                                           "Unable to load paramfile file:///no/such/file"), run.err)


class ErrorTest(ShmqTestCase):
    def test_missing_queue(self):
        missing = "missing-" + uuid.uuid4().hex[:8]
        for args, action in (
            (["get-queue-url", "--queue-name", missing], "GetQueueUrl"),
            (["send-message", "--queue-url", f"http://h/000000000000/{missing}", "--message-body", "x"],
             "SendMessage"),
            (["receive-message", "--queue-url", missing], "ReceiveMessage"),
            (["get-queue-attributes", "--queue-url", missing, "--attribute-names", "All"],
             "GetQueueAttributes"),
            (["delete-queue", "--queue-url", missing], "DeleteQueue"),
        ):
            with self.subTest(action=action):
                run = shmq(*args)
                self.assert_service_error(run, "AWS.SimpleQueueService.NonExistentQueue", action)
                self.assertTrue(run.err.endswith("\n"))

    def test_usage_errors(self):
        run = shmq("send-message", "--queue-url", "q")  # --message-body missing
        self.assertEqual(run.code, USAGE_EXIT)
        self.assertTrue(run.err.startswith("usage: shmq"), run.err)
        self.assertIn("--message-body", run.err)
        run = shmq("no-such-command")
        self.assertEqual(run.code, USAGE_EXIT)
        self.assertIn("Invalid choice", run.err)
        run = shmq()
        self.assertEqual(run.code, USAGE_EXIT)

    def test_unknown_option_and_bad_values(self):
        run = shmq("list-queues", "--bogus")
        self.assertEqual(run.code, FAILURE_EXIT)  # aws: "Unknown options", exit 255
        self.assertIn("--bogus", run.err)
        run = shmq("receive-message", "--queue-url", "q", "--max-number-of-messages", "many")
        self.assertEqual(run.code, FAILURE_EXIT)
        self.assertIn("invalid literal for int() with base 10: 'many'", run.err)
        run = shmq("create-queue", "--queue-name", "x", "--attributes", "{not json")
        self.assertEqual(run.code, FAILURE_EXIT)
        self.assertIn("Invalid JSON", run.err)

    def test_help_and_aws_globals(self):
        run = shmq("help")
        self.assert_ok(run)
        self.assertIn("send-message", run.out)
        run = shmq("send-message", "help")
        self.assert_ok(run)
        self.assertIn("--message-body", run.out)
        # "help" as an option's value is a value, not a request for help.
        _, url = new_queue(self)
        run = shmq("send-message", "--queue-url", url, "--message-body", "help")
        self.assert_ok(run)
        self.assertEqual(run.json()["MD5OfMessageBody"], md5_hex("help"))
        # Options that only matter to aws are accepted, so aws command lines run unchanged.
        run = shmq("list-queues", "--queue-name-prefix", "zz-none", "--endpoint-url",
                   "http://127.0.0.1:9324", "--region", "us-east-1", "--output", "json")
        self.assert_ok(run)


class InspectTest(ShmqTestCase):
    def test_create_queue_capacity_flags(self):
        name = f"capacity-{uuid.uuid4().hex[:10]}"
        CREATED_QUEUES.add(name)
        run = shmq("create-queue", "--queue-name", name, "--slots", "32", "--inline-bytes", "256",
                   "--message-bytes", "3145728")
        self.assert_ok(run)
        inspection = shmq("inspect", name, "--json").json()
        self.assertEqual(inspection["slot_count"], 32)
        self.assertEqual(inspection["inline_bytes"], 256)
        self.assertEqual(inspection["message_bytes_capacity"], 3145728)
        self.assertEqual(inspection["blob_chunks"], 3)  # whole chunks of about 1 MiB
        self.assertEqual(inspection["blob_chunks_carved"], 0)
        attributes = shmq("get-queue-attributes", "--queue-url", run.json()["QueueUrl"], "--attribute-names",
                          "MessageCapacity", "MessageBytesCapacity").json()["Attributes"]
        self.assertEqual(attributes, {"MessageCapacity": "32", "MessageBytesCapacity": "3145728"})
        run = shmq("create-queue", "--queue-name", f"bad-{uuid.uuid4().hex[:10]}", "--message-bytes", "1000")
        self.assertNotEqual(run.code, 0)
        self.assertIn("--message-bytes", run.err)

        fifo = f"nodedup-{uuid.uuid4().hex[:10]}.fifo"
        CREATED_QUEUES.add(fifo)
        run = shmq("create-queue", "--queue-name", fifo, "--attributes", "FifoQueue=true", "--no-deduplication")
        self.assert_ok(run)
        self.assertFalse(shmq("inspect", fifo, "--json").json()["fifo_deduplication"])
        url = run.json()["QueueUrl"]
        # No MessageDeduplicationId needed on such a queue.
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "x", "--message-group-id", "g"))

        run = shmq("create-queue", "--queue-name", f"bad-{uuid.uuid4().hex[:10]}", "--inline-bytes", "100")
        self.assertNotEqual(run.code, 0)
        self.assertIn("inline bytes", run.err)

    def test_inspect(self):
        name, url = new_queue(self)
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "one"))
        self.assert_ok(shmq("send-message", "--queue-url", url, "--message-body", "two"))
        self.assert_ok(shmq("receive-message", "--queue-url", url))

        run = shmq("inspect", url, "--json")
        self.assert_ok(run)
        self.assert_aws_layout(run)
        inspection = run.json()
        self.assertEqual(inspection["name"], name)
        self.assertEqual(inspection["ready"], 1)
        self.assertEqual(inspection["in_flight"], 1)
        self.assertEqual(inspection["delayed"], 0)
        self.assertEqual(inspection["sent_total"], 2)
        self.assertEqual(inspection["received_total"], 1)
        self.assertGreater(inspection["slot_count"], 0)

        run = shmq("inspect", name)
        self.assert_ok(run)
        self.assertIn(name, run.out)
        self.assertIn("ready 1", run.out)
        self.assertIn("in flight 1", run.out)

        self.assert_service_error(shmq("inspect", "no-such-queue-" + uuid.uuid4().hex[:6]),
                                  "AWS.SimpleQueueService.NonExistentQueue", "Inspect")


def delete_created_queues():
    for name in sorted(CREATED_QUEUES):
        shmq("delete-queue", "--queue-url", name)
    # Remove anything else a failed test left in this run's namespace.
    listed = shmq("list-queues")
    if listed.code == 0 and listed.out:
        for url in listed.json().get("QueueUrls", []):
            shmq("delete-queue", "--queue-url", url)


def main():
    global SHMQ, SHM_DIR
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    SHMQ = os.path.abspath(sys.argv[1])
    SHM_DIR = tempfile.mkdtemp(prefix="shmq-cli-test.",
                               dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        program = unittest.main(argv=[sys.argv[0], *sys.argv[2:]], exit=False, verbosity=2)
    finally:
        delete_created_queues()
        shutil.rmtree(SHM_DIR, ignore_errors=True)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
