#!/usr/bin/env python3
"""boto3 against shmqd's SQS HTTP endpoint, in whichever protocol the boto3 at hand speaks: the
machine's Python has boto3 1.43 (JSON 1.0), Debian's /usr/bin/python3 has python3-boto3 1.26
(Query); ctest runs this script under both.

Goal: an unmodified AWS SDK works against shmqd by changing only its endpoint URL: queue
management, messages with attributes (boto3 itself checks every MD5 the endpoint returns),
batches with per-entry failures, FIFO order and SequenceNumbers, errors with the codes, types and
statuses AWS answers with (the recorded AWS responses in /work/shared/reference/aws-recorded are
the expected values), malformed and oversized requests refused cleanly, SigV4 signatures checked
when credentials are configured; and the HTTP door and the
shared-memory door lead to the same queues (the `shmq` CLI, which uses libshmq directly, receives
what boto3 sent and the other way round).

Method: start the real shmqd on a free loopback port in a namespace and shared-memory directory of
its own, drive it with boto3, stop it with SIGTERM at the end.

Usage: test_sqs_clients.py PATH_TO_SHMQD PATH_TO_SHMQ_CLI [unittest arguments]
With SQS_ENDPOINT=http://HOST:PORT set, the SQS scenarios run against that server instead (e.g.
moto_server: see compare_with_moto.sh) and those about shmqd itself are skipped, so differences in
behaviour show as failures.
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import uuid

import boto3
import botocore.config
from botocore.exceptions import ClientError

SHMQD = None
SHMQ_CLI = None
NAMESPACE = "conformance-" + uuid.uuid4().hex[:12]
WORK_DIR = None
ENDPOINT = None
DAEMON = None


def environment(namespace=None):
    return dict(os.environ, SHMQ_NAMESPACE=namespace or NAMESPACE, SHMQ_SHM_DIR=os.path.join(WORK_DIR, "shm"))


def launch(name, *extra, namespace=None):
    """Starts a shmqd on a free port (in the suite's namespace unless told another); returns
    (process, endpoint URL)."""
    process = subprocess.Popen(
        [SHMQD, "--data-dir", os.path.join(WORK_DIR, name), "--namespace", namespace or NAMESPACE, "--listen",
         "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment(namespace))
    listening = process.stdout.readline().strip()
    assert listening.startswith("shmqd listening on "), listening
    assert process.stdout.readline().strip() == "shmqd ready"
    return process, listening[len("shmqd listening on "):]


OTHER_SERVER = os.environ.get("SQS_ENDPOINT", "")


def shmqd_only(test):
    """Scenarios about shmqd itself (its other door, metrics, signatures, raw HTTP handling)."""
    return unittest.skipIf(OTHER_SERVER, "about shmqd itself")(test)


def start_daemon():
    global DAEMON, ENDPOINT
    if OTHER_SERVER:
        ENDPOINT = OTHER_SERVER
        return
    DAEMON, ENDPOINT = launch("data")


def stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def run_suite(prefix, extra_arguments=lambda work_dir: []):
    """The main of a conformance script that tests one shmqd: argv is PATH_TO_SHMQD PATH_TO_SHMQ_CLI
    [unittest arguments]; extra_arguments(work_dir) writes what the shmqd needs into its work
    directory and returns its extra command-line arguments. Sets ENDPOINT for the tests, runs
    them, stops the shmqd and exits with the result."""
    global SHMQD, SHMQ_CLI, WORK_DIR, ENDPOINT
    SHMQD, SHMQ_CLI = sys.argv[1], sys.argv[2]
    WORK_DIR = tempfile.mkdtemp(prefix=prefix)
    os.makedirs(os.path.join(WORK_DIR, "shm"))
    daemon, ENDPOINT = launch("data", *extra_arguments(WORK_DIR))
    print("protocol:", protocol(), file=sys.stderr)
    try:
        program = unittest.main(argv=[sys.argv[0], *sys.argv[3:]], exit=False, verbosity=2)
    finally:
        stop(daemon)
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(0 if program.result.wasSuccessful() else 1)


def stop_daemon():
    if DAEMON is not None:
        stop(DAEMON)


def client(endpoint=None, key="x", secret="x"):
    return boto3.client(
        "sqs", endpoint_url=endpoint or ENDPOINT, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))


def cli(*args, namespace=None):
    completed = subprocess.run([SHMQ_CLI, *args], capture_output=True, text=True, env=environment(namespace),
                               timeout=60)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if completed.stdout.strip() else {}


def protocol():
    return client()._service_model.protocol  # "json" or "query"


def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response
    raise AssertionError("the call succeeded")


def raw_post(body, target="AmazonSQS.ListQueues", extra_headers=None):
    host, port = ENDPOINT[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
    headers.update(extra_headers or {})
    connection.request("POST", "/", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def query_post(action, **parameters):
    """A Query-protocol request posted raw (for actions the SDK at hand lacks); the reply's text."""
    host, port = ENDPOINT[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **parameters})
    connection.request("POST", "/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    text = connection.getresponse().read().decode()
    connection.close()
    return text


class QueueManagement(unittest.TestCase):
    def test_create_get_list_attributes_tags_delete(self):
        sqs = client()
        url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"},
                               tags={"team": "core"})["QueueUrl"]
        self.assertEqual(url, ENDPOINT + "/000000000000/orders")
        self.assertEqual(sqs.get_queue_url(QueueName="orders")["QueueUrl"], url)
        # Same attributes: the same queue; different ones: QueueNameExists.
        self.assertEqual(sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"})["QueueUrl"], url)
        exists = error_of(sqs.create_queue, QueueName="orders", Attributes={"VisibilityTimeout": "46"})
        self.assertEqual(exists["Error"]["Code"], "QueueAlreadyExists")
        if protocol() == "json":
            self.assertEqual(exists["Error"]["QueryErrorCode"], "QueueNameExists")
        self.assertIn(url, sqs.list_queues(QueueNamePrefix="ord")["QueueUrls"])
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attributes["VisibilityTimeout"], "45")
        self.assertEqual(attributes["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:orders")
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"],
                         {"DelaySeconds": "3"})
        sqs.tag_queue(QueueUrl=url, Tags={"env": "test"})
        sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
        self.assertEqual(sqs.list_queue_tags(QueueUrl=url)["Tags"], {"env": "test"})
        sqs.delete_queue(QueueUrl=url)
        self.assertNotIn("QueueUrls", sqs.list_queues(QueueNamePrefix="orders"))

    @shmqd_only
    def test_message_capacity_extension(self):
        # A region holds a fixed number of messages: HTTP clients size it with MessageCapacity.
        sqs = client()
        url = sqs.create_queue(QueueName="roomy", Attributes={"MessageCapacity": "300000"})["QueueUrl"]
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageCapacity"])["Attributes"],
                         {"MessageCapacity": "300000"})
        sqs.delete_queue(QueueUrl=url)

    @shmqd_only
    def test_message_bytes_capacity_extension(self):
        # Bodies over a slot's inline area live in a blob arena of MessageBytesCapacity bytes (whole
        # chunks of about 1 MiB): a send that finds no room there, or no free slot, is OverLimit
        # naming the limit reached.
        sqs = client()
        url = sqs.create_queue(QueueName="budgeted", Attributes={"MessageCapacity": "16",
                                                                  "MessageBytesCapacity": "2097152"})["QueueUrl"]
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageCapacity",
                                                                                  "MessageBytesCapacity"])["Attributes"],
                         {"MessageCapacity": "16", "MessageBytesCapacity": "2097152"})
        self.assertNotIn("MessageBytesCapacity",
                         sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])
        big = "b" * 300_000  # one chunk each
        for _ in range(2):
            sqs.send_message(QueueUrl=url, MessageBody=big)
        response = error_of(sqs.send_message, QueueUrl=url, MessageBody=big)
        self.assertEqual(response["Error"]["Code"], "OverLimit")
        self.assertIn("MessageBytesCapacity (2097152 bytes)", response["Error"]["Message"])
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 403)
        for i in range(14):
            sqs.send_message(QueueUrl=url, MessageBody="small %d" % i)
        response = error_of(sqs.send_message, QueueUrl=url, MessageBody="one too many")
        self.assertEqual(response["Error"]["Code"], "OverLimit")
        self.assertIn("MessageCapacity (16 messages)", response["Error"]["Message"])
        failed = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}])["Failed"]
        self.assertEqual([(entry["Id"], entry["Code"], entry["SenderFault"]) for entry in failed],
                         [("a", "OverLimit", True)])
        self.assertIn("MessageCapacity (16 messages)", failed[0]["Message"])
        # Create-only, and bounded.
        response = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"MessageBytesCapacity": "4194304"})
        self.assertIn("can only be set when the queue is created", response["Error"]["Message"])
        response = error_of(sqs.create_queue, QueueName="unbudgeted", Attributes={"MessageBytesCapacity": "1000"})
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertIn("MessageBytesCapacity must be between 1048576 and 68719476736 bytes",
                      response["Error"]["Message"])
        sqs.delete_queue(QueueUrl=url)

    def test_missing_queue_is_answered_as_aws_does(self):
        # Recorded from AWS: test_non_existent_queue[sqs] and [sqs_query].
        response = error_of(client().get_queue_url, QueueName="does-not-exist")
        if protocol() == "json":
            self.assertEqual(response["Error"], {"Code": "AWS.SimpleQueueService.NonExistentQueue",
                                                 "Message": "The specified queue does not exist.",
                                                 "QueryErrorCode": "QueueDoesNotExist", "Type": "Sender"})
        else:
            self.assertEqual(response["Error"], {"Code": "AWS.SimpleQueueService.NonExistentQueue",
                                                 "Message": "The specified queue does not exist for this wsdl version.",
                                                 "Type": "Sender", "Detail": None})
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_dead_letter_sources(self):
        sqs = client()
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        source = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": "2"})})["QueueUrl"]
        self.assertEqual(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [source])
        sqs.delete_queue(QueueUrl=source)
        sqs.delete_queue(QueueUrl=dlq)


class Messages(unittest.TestCase):
    def setUp(self):
        self.sqs = client()
        self.url = self.sqs.create_queue(QueueName="messages-" + uuid.uuid4().hex[:8])["QueueUrl"]

    def tearDown(self):
        self.sqs.delete_queue(QueueUrl=self.url)

    def test_send_receive_delete_with_attributes(self):
        attributes = {"text": {"DataType": "String", "StringValue": "héllo"},
                      "count": {"DataType": "Number", "StringValue": "42"},
                      "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"}}
        # boto3 checks MD5OfMessageBody and MD5OfMessageAttributes itself: a wrong one raises.
        sent = self.sqs.send_message(QueueUrl=self.url, MessageBody="body ✓", MessageAttributes=attributes)
        received = self.sqs.receive_message(QueueUrl=self.url, MessageAttributeNames=["All"],
                                            AttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(len(received), 1)
        message = received[0]
        self.assertEqual(message["MessageId"], sent["MessageId"])
        self.assertEqual(message["Body"], "body ✓")
        self.assertEqual(message["MessageAttributes"], attributes)
        self.assertEqual(message["Attributes"]["ApproximateReceiveCount"], "1")
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=self.url, WaitTimeSeconds=0))

    def test_batches_succeed_and_fail_per_entry(self):
        sent = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
            {"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 0},
            {"Id": "c", "MessageBody": "three"}])
        self.assertEqual(sorted(entry["Id"] for entry in sent["Successful"]), ["a", "b", "c"])
        self.assertEqual(sent.get("Failed", []), [])  # Query leaves an empty list out
        messages = []
        while len(messages) < 3:
            messages += self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
        self.assertEqual(sorted(message["Body"] for message in messages), ["one", "three", "two"])
        changed = self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=[
            {"Id": "x", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 60},
            {"Id": "y", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 60}])
        self.assertEqual([entry["Id"] for entry in changed["Successful"]], ["x"])
        self.assertEqual(changed["Failed"][0]["Id"], "y")
        self.assertEqual(changed["Failed"][0]["Code"], "ReceiptHandleIsInvalid")
        self.assertTrue(changed["Failed"][0]["SenderFault"])
        deleted = self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
            {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]} for i, message in enumerate(messages)])
        self.assertEqual(len(deleted["Successful"]), 3)
        repeated = error_of(self.sqs.delete_message_batch, QueueUrl=self.url, Entries=[
            {"Id": "same", "ReceiptHandle": messages[0]["ReceiptHandle"]},
            {"Id": "same", "ReceiptHandle": messages[1]["ReceiptHandle"]}])
        self.assertEqual(repeated["Error"]["Code"], "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")

    def test_fifo_order_and_sequence_numbers(self):
        url = self.sqs.create_queue(QueueName="ordered.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        numbers = []
        for i in range(5):
            numbers.append(int(self.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g",
                                                     MessageDeduplicationId=f"d{i}")["SequenceNumber"]))
        self.assertEqual(numbers, sorted(numbers))
        duplicate = self.sqs.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g",
                                          MessageDeduplicationId="d0")
        self.assertEqual(int(duplicate["SequenceNumber"]), numbers[0])
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            AttributeNames=["SequenceNumber", "MessageGroupId"])
        self.assertEqual([message["Body"] for message in received["Messages"]], [f"m{i}" for i in range(5)])
        self.assertEqual(received["Messages"][0]["Attributes"]["MessageGroupId"], "g")
        self.sqs.delete_queue(QueueUrl=url)

    def test_aws_trace_header_kept_moved_and_returned(self):
        # Recorded from AWS (test_dead_letter_queue_message_attributes): AWSTraceHeader comes back
        # as a system attribute, in the dead-letter queue too, beside DeadLetterQueueSourceArn.
        header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": header}}
        digest = hashlib.md5(struct.pack(">I", 14) + b"AWSTraceHeader" + struct.pack(">I", 6) + b"String" + b"\x01" +
                             struct.pack(">I", len(header)) + header.encode()).hexdigest()
        dead = self.sqs.create_queue(QueueName="traced-dlq-" + uuid.uuid4().hex[:8])["QueueUrl"]
        dead_arn = self.sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dead_arn, "maxReceiveCount": "1"}), "VisibilityTimeout": "0"})
        sent = self.sqs.send_message(QueueUrl=self.url, MessageBody="traced", MessageSystemAttributes=trace)
        self.assertEqual(sent["MD5OfMessageSystemAttributes"], digest)
        batch = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
            {"Id": "a", "MessageBody": "batched", "MessageSystemAttributes": trace},
            {"Id": "b", "MessageBody": "x", "MessageSystemAttributes": {"SenderId": trace["AWSTraceHeader"]}}])
        self.assertEqual([(entry["Id"], entry["MD5OfMessageSystemAttributes"]) for entry in batch["Successful"]],
                         [("a", digest)])
        self.assertEqual([(entry["Id"], entry["Code"]) for entry in batch["Failed"]], [("b", "InvalidParameterValue")])
        refused = error_of(self.sqs.send_message, QueueUrl=self.url, MessageBody="x",
                           MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String",
                                                                       "StringValue": "Root=1\u0001"}})
        self.assertEqual(refused["Error"]["Code"], "InvalidParameterValue")
        received = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                            AttributeNames=["AWSTraceHeader"])["Messages"]
        self.assertEqual(sorted(message["Body"] for message in received), ["batched", "traced"])
        for message in received:
            self.assertEqual(message["Attributes"], {"AWSTraceHeader": header})
        plain = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
        self.assertNotIn("Messages", plain)  # the second receive moved both to the dead-letter queue
        moved = self.sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        self.assertEqual(len(moved), 2)
        source_arn = self.sqs.get_queue_attributes(QueueUrl=self.url,
                                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for message in moved:
            self.assertEqual(message["Attributes"]["AWSTraceHeader"], header)
            self.assertEqual(message["Attributes"]["DeadLetterQueueSourceArn"], source_arn)
        self.sqs.delete_queue(QueueUrl=dead)

    def test_errors_of_parameters(self):
        # Recorded from AWS: test_send_oversized_message[sqs].
        oversized = error_of(self.sqs.send_message, QueueUrl=self.url, MessageBody="x" * (1024 * 1024 + 1))
        self.assertEqual(oversized["Error"]["Code"], "InvalidParameterValue")
        self.assertEqual(oversized["Error"]["Message"],
                         "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.")
        if protocol() == "json":
            self.assertEqual(oversized["Error"]["QueryErrorCode"], "InvalidParameterValueException")
        self.assertEqual(oversized["ResponseMetadata"]["HTTPStatusCode"], 400)
        delay = error_of(self.sqs.send_message, QueueUrl=self.url, MessageBody="x", DelaySeconds=901)
        self.assertEqual(delay["Error"]["Code"], "InvalidParameterValue")
        handle = error_of(self.sqs.delete_message, QueueUrl=self.url, ReceiptHandle="garbage")
        self.assertEqual(handle["Error"]["Code"], "ReceiptHandleIsInvalid")


class DeviationsFromSqs(unittest.TestCase):
    """Behaviours that once differed from Amazon SQS (issue 13), each as AWS answers it."""

    @classmethod
    def setUpClass(cls):
        cls.sqs = client()
        cls.url = cls.sqs.create_queue(QueueName="deviations")["QueueUrl"]
        cls.fifo_url = cls.sqs.create_queue(QueueName="deviations.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

    @classmethod
    def tearDownClass(cls):
        cls.sqs.delete_queue(QueueUrl=cls.url)
        cls.sqs.delete_queue(QueueUrl=cls.fifo_url)

    def assert_error(self, response, code, message=None):
        self.assertEqual(response["Error"]["Code"], code)
        if message is not None:
            self.assertEqual(response["Error"]["Message"], message)
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def dead_letter_pair(self, prefix):
        """A dead-letter queue and a source moving a message there at its second receive:
        (dlq URL, dlq ARN, source URL)."""
        dlq = self.sqs.create_queue(QueueName=prefix + "-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        source = self.sqs.create_queue(QueueName=prefix + "-source", Attributes={
            "VisibilityTimeout": "0", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                                                   "maxReceiveCount": "1"})})["QueueUrl"]
        return dlq, dlq_arn, source

    def test_a_missing_queue_is_named_before_handles_entries_or_attributes(self):
        missing = self.url[:self.url.rindex("/") + 1] + "no-such-queue"
        calls = [
            (self.sqs.delete_message, dict(ReceiptHandle="garbage")),
            (self.sqs.change_message_visibility, dict(ReceiptHandle="garbage", VisibilityTimeout=99999)),
            (self.sqs.delete_message_batch, dict(Entries=[])),
            (self.sqs.change_message_visibility_batch, dict(Entries=[{"Id": "bad id!", "ReceiptHandle": "x",
                                                                      "VisibilityTimeout": 1}])),
            (self.sqs.send_message_batch, dict(Entries=[{"Id": "a", "MessageBody": "x"}] * 11)),
            (self.sqs.send_message, dict(MessageBody="x", DelaySeconds=901)),
            (self.sqs.receive_message, dict(MaxNumberOfMessages=50)),
            (self.sqs.get_queue_attributes, dict(AttributeNames=["NoSuchAttribute"])),
            (self.sqs.set_queue_attributes, dict(Attributes={"VisibilityTimeout": "-1"})),
            (self.sqs.tag_queue, dict(Tags={"aws:reserved": "x"})),
            (self.sqs.add_permission, dict(Label="bad label!", AWSAccountIds=["1"], Actions=["CreateQueue"])),
        ]
        for call, arguments in calls:
            with self.subTest(action=call.__name__):
                self.assert_error(error_of(call, QueueUrl=missing, **arguments),
                                  "AWS.SimpleQueueService.NonExistentQueue")

    def test_a_batch_over_one_mib_is_refused_whole(self):
        # Recorded from AWS: test_send_message_batch_with_oversized_contents[sqs]: bodies and
        # attributes (name + type + value) add up; one byte over refuses every entry.
        attributes = {"k": {"DataType": "String", "StringValue": "vv"}}
        body = "a" * (1024 * 1024 - len("k") - len("String") - len("vv"))
        over = error_of(self.sqs.send_message_batch, QueueUrl=self.url, Entries=[
            {"Id": "1", "MessageBody": body, "MessageAttributes": attributes}, {"Id": "2", "MessageBody": "a"}])
        self.assert_error(over, "AWS.SimpleQueueService.BatchRequestTooLong",
                          "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.")
        single = error_of(self.sqs.send_message_batch, QueueUrl=self.url,
                          Entries=[{"Id": "1", "MessageBody": body + "0123456789"}])
        self.assert_error(single, "AWS.SimpleQueueService.BatchRequestTooLong")
        self.assertEqual(self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"], "0")
        at_limit = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
            {"Id": "1", "MessageBody": body, "MessageAttributes": attributes}])
        self.assertEqual([entry["Id"] for entry in at_limit["Successful"]], ["1"])
        taken = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(len(taken), 1)
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=taken[0]["ReceiptHandle"])

    def test_empty_lists_as_sdks_send_them(self):
        # The Query protocol carries these as "Entries=", "AttributeNames=", "TagKeys=".
        for call in (self.sqs.send_message_batch, self.sqs.delete_message_batch,
                     self.sqs.change_message_visibility_batch):
            with self.subTest(action=call.__name__):
                self.assert_error(error_of(call, QueueUrl=self.url, Entries=[]),
                                  "AWS.SimpleQueueService.EmptyBatchRequest")
        answered = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=[])
        self.assertNotIn("Attributes", answered)
        self.sqs.tag_queue(QueueUrl=self.url, Tags={"kept": "yes"})
        self.sqs.untag_queue(QueueUrl=self.url, TagKeys=[])
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=self.url)["Tags"], {"kept": "yes"})
        self.sqs.send_message(QueueUrl=self.url, MessageBody="attributes none")
        received = self.sqs.receive_message(QueueUrl=self.url, AttributeNames=[], MessageAttributeNames=[])
        self.assertEqual(received["Messages"][0]["Body"], "attributes none")
        self.assertNotIn("Attributes", received["Messages"][0])
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=received["Messages"][0]["ReceiptHandle"])

    def test_empty_group_and_deduplication_ids_are_invalid_on_every_queue(self):
        # Recorded from AWS: test_send_message_to_standard_queue_with_invalid_message_group_id[empty]
        # and test_message_deduplication_id_invalid[empty].
        for url in (self.url, self.fifo_url):
            for parameter in ("MessageGroupId", "MessageDeduplicationId"):
                with self.subTest(queue=url, parameter=parameter):
                    ids = {"MessageGroupId": "g", "MessageDeduplicationId": "d"} if url == self.fifo_url else {}
                    ids[parameter] = ""
                    self.assert_error(error_of(self.sqs.send_message, QueueUrl=url, MessageBody="x", **ids),
                                      "InvalidParameterValue",
                                      "Value  for parameter %s is invalid. Reason: %s can only include "
                                      "alphanumeric and punctuation characters. 1 to 128 in length."
                                      % (parameter, parameter))
                    batch = self.sqs.send_message_batch(QueueUrl=url, Entries=[
                        {"Id": "empty", "MessageBody": "x", **ids}])
                    self.assertEqual([entry["Code"] for entry in batch["Failed"]], ["InvalidParameterValue"])

    def test_fifo_queue_is_no_attribute_to_set(self):
        # Recorded from AWS: test_set_unsupported_attribute_standard and _fifo.
        for value in ("true", "false"):
            self.assert_error(error_of(self.sqs.set_queue_attributes, QueueUrl=self.url,
                                       Attributes={"FifoQueue": value}),
                              "InvalidAttributeName", "Unknown Attribute FifoQueue.")
        changed = error_of(self.sqs.set_queue_attributes, QueueUrl=self.fifo_url, Attributes={"FifoQueue": "false"})
        self.assertEqual(changed["Error"]["Code"], "InvalidAttributeValue")
        self.assertEqual(changed["Error"]["Message"],
                         "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")

    def test_messages_visible_again_count_as_visible(self):
        url = self.sqs.create_queue(QueueName="visible-again")["QueueUrl"]
        self.sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(3)])
        self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)
        changed = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)["Messages"]
        self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=changed[0]["ReceiptHandle"],
                                           VisibilityTimeout=0)
        counts = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        self.assertEqual(counts, {"ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "1"})
        if not OTHER_SERVER:  # shmqd's /metrics counts them the same way
            host, port = ENDPOINT[len("http://"):].split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
            connection.close()
            self.assertIn('shmq_queue_messages{queue="visible-again",state="ready"} 2\n', text)
            self.assertIn('shmq_queue_messages{queue="visible-again",state="in_flight"} 1\n', text)
        self.sqs.delete_queue(QueueUrl=url)

    def test_a_failed_move_task_leaves_what_it_did_not_move_visible(self):
        dlq, dlq_arn, source = self.dead_letter_pair("failed-move")
        self.sqs.send_message(QueueUrl=dlq, MessageBody="sent here directly: no source to go back to")
        self.sqs.send_message(QueueUrl=source, MessageBody="dead-lettered")
        self.sqs.receive_message(QueueUrl=source)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=source))  # moved to the dlq
        if hasattr(self.sqs, "start_message_move_task"):
            self.sqs.start_message_move_task(SourceArn=dlq_arn)
            task = self.sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
            self.assertEqual(task["Status"], "FAILED")
            self.assertEqual(task["FailureReason"], "AWS.SimpleQueueService.NonExistentQueue")
        else:  # Debian's boto3 1.26 (the Query client) predates move tasks: posted raw
            self.assertIn("<TaskHandle>", query_post("StartMessageMoveTask", SourceArn=dlq_arn))
            listed = query_post("ListMessageMoveTasks", SourceArn=dlq_arn)
            self.assertIn("<Status>FAILED</Status>", listed)
            self.assertIn("<FailureReason>AWS.SimpleQueueService.NonExistentQueue</FailureReason>", listed)
        counts = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        left = int(counts["ApproximateNumberOfMessages"])
        self.assertEqual(counts["ApproximateNumberOfMessagesNotVisible"], "0")
        received = self.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        self.assertEqual(len(received), left)
        direct = [message for message in received if message["Body"].startswith("sent here directly")]
        self.assertEqual([message["Attributes"]["ApproximateReceiveCount"] for message in direct], ["1"])
        self.sqs.delete_queue(QueueUrl=source)
        self.sqs.delete_queue(QueueUrl=dlq)

    def test_fifo_group_visible_up_to_its_first_message_in_flight(self):
        # Recorded from AWS: test_fifo_group_visibility_extends_with_change_message_visibility.
        url = self.sqs.create_queue(QueueName="visible-prefix.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        for body in ("foo", "bar", "baz"):
            self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
        held = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)["Messages"]
        self.assertEqual([message["Body"] for message in held], ["foo", "bar", "baz"])
        for message in (held[0], held[2]):  # bar stays in flight
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                               VisibilityTimeout=0)
        again = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)["Messages"]
        self.assertEqual([message["Body"] for message in again], ["foo"])
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=held[1]["ReceiptHandle"], VisibilityTimeout=0)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"], VisibilityTimeout=0)
        last = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([message["Body"] for message in last], ["foo", "bar", "baz"])
        self.sqs.delete_queue(QueueUrl=url)

    def test_concurrent_receives_sharing_an_attempt_id_get_the_same_messages(self):
        url = self.sqs.create_queue(QueueName="attempts.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        for start in range(0, 60, 10):
            self.sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": "m%d" % i, "MessageGroupId": "g%d" % (i % 20)}
                for i in range(start, start + 10)])
        receivers = [client() for _ in range(4)]
        for round_number in range(5):
            barrier = threading.Barrier(len(receivers))
            answers = [None] * len(receivers)

            def receive(index):
                barrier.wait()
                answers[index] = [(message["MessageId"], message["ReceiptHandle"]) for message in receivers[
                    index].receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600,
                                           ReceiveRequestAttemptId="round-%d" % round_number).get("Messages", [])]

            threads = [threading.Thread(target=receive, args=(index,)) for index in range(len(receivers))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with self.subTest(round=round_number):
                self.assertTrue(answers[0])
                self.assertEqual(answers, [answers[0]] * len(receivers))
        self.sqs.delete_queue(QueueUrl=url)

    def test_dead_letters_go_on_counting_their_receives(self):
        # Recorded from AWS: test_dead_letter_queue_message_attributes (maxReceiveCount 1: the
        # dead-letter queue's first receive shows ApproximateReceiveCount 2).
        dlq, dlq_arn, source = self.dead_letter_pair("counting")
        source_arn = self.sqs.get_queue_attributes(QueueUrl=source,
                                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sqs.send_message(QueueUrl=source, MessageBody="message-1")
        first = self.sqs.receive_message(QueueUrl=source, AttributeNames=["All"])["Messages"]
        self.assertEqual(first[0]["Attributes"]["ApproximateReceiveCount"], "1")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=source))  # moved
        moved = self.sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
        self.assertEqual(moved[0]["Attributes"]["ApproximateReceiveCount"], "2")
        self.assertEqual(moved[0]["Attributes"]["DeadLetterQueueSourceArn"], source_arn)
        self.sqs.delete_queue(QueueUrl=source)
        self.sqs.delete_queue(QueueUrl=dlq)

    def test_add_permission_writes_statements_as_sqs_does(self):
        # Recorded from AWS: test_sqs_permission_lifecycle[sqs].
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sqs.add_permission(QueueUrl=self.url, Label="one", AWSAccountIds=["111111111111"],
                                Actions=["ReceiveMessage"])
        self.sqs.add_permission(QueueUrl=self.url, Label="two", AWSAccountIds=["222222222222", "111111111111"],
                                Actions=["SendMessage", "DeleteMessage"])
        policy = json.loads(self.sqs.get_queue_attributes(QueueUrl=self.url,
                                                          AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(policy, {"Version": "2008-10-17", "Id": arn + "/SQSDefaultPolicy", "Statement": [
            {"Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
             "Action": "SQS:ReceiveMessage", "Resource": arn},
            {"Sid": "two", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root",
                                                                    "arn:aws:iam::111111111111:root"]},
             "Action": ["SQS:SendMessage", "SQS:DeleteMessage"], "Resource": arn}]})
        self.sqs.remove_permission(QueueUrl=self.url, Label="one")
        self.sqs.remove_permission(QueueUrl=self.url, Label="two")
        self.assertNotIn("Attributes", self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["Policy"]))


@shmqd_only
class TwoDoors(unittest.TestCase):
    def test_http_and_shared_memory_reach_the_same_queue(self):
        sqs = client()
        url = sqs.create_queue(QueueName="shared")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="from http")
        received = cli("receive-message", "--queue-url", "shared")["Messages"][0]
        self.assertEqual(received["Body"], "from http")
        cli("delete-message", "--queue-url", "shared", "--receipt-handle", received["ReceiptHandle"])
        cli("send-message", "--queue-url", "shared", "--message-body", "from shared memory")
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        self.assertEqual(messages[0]["Body"], "from shared memory")
        sqs.delete_queue(QueueUrl=url)


@shmqd_only
class QueueUrls(unittest.TestCase):
    def test_queue_urls_point_where_the_client_reached_the_endpoint(self):
        port = ENDPOINT.rsplit(":", 1)[1]
        by_name = client("http://localhost:%s" % port)
        url = by_name.create_queue(QueueName="reached-by-name")["QueueUrl"]
        self.assertEqual(url, "http://localhost:%s/000000000000/reached-by-name" % port)
        self.assertEqual(client().get_queue_url(QueueName="reached-by-name")["QueueUrl"],
                         ENDPOINT + "/000000000000/reached-by-name")
        # One queue under every address.
        client().send_message(QueueUrl=url, MessageBody="one queue")
        received = by_name.receive_message(QueueUrl=ENDPOINT + "/000000000000/reached-by-name")["Messages"]
        self.assertEqual([message["Body"] for message in received], ["one queue"])
        # A proxy or container name in Host.
        for host in ("sqs.internal:8080", "queues", "[::1]:9324"):
            with self.subTest(host=host):
                status, _, body = raw_post(b'{"QueueNamePrefix": "reached-by"}', extra_headers={"Host": host})
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body)["QueueUrls"], ["http://%s/000000000000/reached-by-name" % host])
        # A Host that is not a plain host[:port]: the endpoint's own address.
        for host in ("user@evil.example", "a/b", "x%41y:1", "h:port", "<tag>"):
            with self.subTest(host=host):
                status, _, body = raw_post(b'{"QueueNamePrefix": "reached-by"}', extra_headers={"Host": host})
                if status == 200:
                    self.assertEqual(json.loads(body)["QueueUrls"], [ENDPOINT + "/000000000000/reached-by-name"])
                else:
                    self.assertEqual(status, 400)  # refused as HTTP before any URL was built
        by_name.delete_queue(QueueUrl=url)

    def test_an_advertised_url_names_every_queue(self):
        daemon, endpoint = launch("advertised", "--advertise-url", "https://sqs.example.com/")
        try:
            url = client(endpoint).create_queue(QueueName="advertised")["QueueUrl"]
            self.assertEqual(url, "https://sqs.example.com/000000000000/advertised")
            self.assertEqual(client("http://localhost:" + endpoint.rsplit(":", 1)[1]).list_queues(
                QueueNamePrefix="advertised")["QueueUrls"], [url])
            client(endpoint).send_message(QueueUrl=url, MessageBody="via the advertised name")
            client(endpoint).delete_queue(QueueUrl=url)
        finally:
            stop(daemon)
        for bad in ("sqs.example.com", "ftp://h", "http://user@h", "http://h/path", "http://h?x=1"):
            with self.subTest(url=bad):
                refused = subprocess.run([SHMQD, "--data-dir", os.path.join(WORK_DIR, "refused"), "--namespace",
                                          NAMESPACE, "--listen", "127.0.0.1:0", "--advertise-url", bad],
                                         capture_output=True, text=True, env=environment(), timeout=60)
                self.assertEqual(refused.returncode, 2)
                self.assertIn("--advertise-url wants http(s)://HOST[:PORT]", refused.stderr)


@shmqd_only
class SyncQueuesFromTheCli(unittest.TestCase):
    def test_the_first_sync_send_after_create_waits_for_shmqd(self):
        # The CLI process creates the queue and sends at once: shmqd takes the queue on a moment
        # later, and the send waits for that rather than failing (issue 13). A shmqd of its own:
        # the namespace's mark is one daemon's, and other scenarios start and stop second ones.
        namespace = NAMESPACE + "-sync"
        daemon, endpoint = launch("cli-sync", namespace=namespace)
        try:
            for round_number in range(3):
                name = "cli-sync-%d" % round_number
                url = cli("create-queue", "--queue-name", name, "--attributes", "Durability=sync",
                          namespace=namespace)["QueueUrl"]
                sent = cli("send-message", "--queue-url", url, "--message-body", "first", namespace=namespace)
                self.assertTrue(sent["MessageId"])
                url = client(endpoint).get_queue_url(QueueName=name)["QueueUrl"]
                received = client(endpoint).receive_message(QueueUrl=url)["Messages"]
                self.assertEqual([message["Body"] for message in received], ["first"])
        finally:
            stop(daemon)


@shmqd_only
class Metrics(unittest.TestCase):
    def test_prometheus_text_per_queue_and_journal(self):
        sqs = client()
        url = sqs.create_queue(QueueName="measured")["QueueUrl"]  # Durability=async: shmqd runs
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        received = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
        host, port = ENDPOINT[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertTrue(response.getheader("Content-Type").startswith("text/plain"))
        samples = {}
        for line in response.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        self.assertEqual(samples['shmq_queue_messages{queue="measured",state="ready"}'], 2)
        self.assertEqual(samples['shmq_queue_sent_total{queue="measured"}'], 3)
        self.assertEqual(samples['shmq_queue_deleted_total{queue="measured"}'], 1)
        self.assertGreater(samples["shmq_journal_commit_seconds_count"], 0)
        self.assertEqual(samples['shmq_journal_commit_seconds_bucket{le="+Inf"}'],
                         samples["shmq_journal_commit_seconds_count"])
        self.assertGreaterEqual(samples["shmq_journal_segments"], 1)
        sqs.delete_queue(QueueUrl=url)


@shmqd_only
class BadRequests(unittest.TestCase):
    def test_query_requests_posted_to_the_queue_path(self):
        # Older Query clients post queue actions to the queue's URL without QueueUrl.
        url = client().create_queue(QueueName="by-path")["QueueUrl"]
        host, port = ENDPOINT[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("POST", "/000000000000/by-path", body="Action=SendMessage&MessageBody=a+b%26c",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertIn(b"<SendMessageResponse", response.read())
        self.assertEqual(client().receive_message(QueueUrl=url)["Messages"][0]["Body"], "a b&c")
        client().delete_queue(QueueUrl=url)

    def test_malformed_json_and_unknown_actions(self):
        status, headers, body = raw_post(b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("SerializationException", json.loads(body)["__type"])
        status, _, body = raw_post(b"{}", target="AmazonSQS.NoSuchAction")
        self.assertEqual(status, 400)
        self.assertIn("UnknownOperationException", json.loads(body)["__type"])

    def test_escaped_lone_surrogates_are_invalid_message_contents(self):
        url = client().create_queue(QueueName="surrogates")["QueueUrl"]
        allowed = ", the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | " \
                  "#x10000 to #x10FFFF"
        cases = [
            ('"MessageBody": "a\\ud800b"', "#xD800", "message body"),
            ('"MessageBody": "a\\uDC00"', "#xDC00", "message body"),
            ('"MessageBody": "\\ud83d\\ud83d\\ude00"', "#xD83D", "message body"),
            ('"MessageBody": "x", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "\\udbff"}}',
             "#xDBFF", "message attribute value"),
        ]
        for members, code_point, where in cases:
            with self.subTest(members=members):
                status, headers, body = raw_post(('{"QueueUrl": "%s", %s}' % (url, members)).encode(),
                                                 target="AmazonSQS.SendMessage")
                self.assertEqual(status, 400)
                self.assertEqual(headers["x-amzn-query-error"], "InvalidMessageContents;Sender")
                self.assertEqual(json.loads(body), {
                    "__type": "com.amazonaws.sqs#InvalidMessageContents",
                    "message": "Invalid binary character '%s' was found in the %s%s" % (code_point, where, allowed)})
        # A pair is one character, and an escaped backslash before "u" no escape at all.
        status, _, _ = raw_post(('{"QueueUrl": "%s", "MessageBody": "\\ud83d\\ude00 \\\\ud800"}' % url).encode(),
                                target="AmazonSQS.SendMessage")
        self.assertEqual(status, 200)
        self.assertEqual(client().receive_message(QueueUrl=url)["Messages"][0]["Body"], "\U0001F600 \\ud800")
        client().delete_queue(QueueUrl=url)

    def test_missing_parameter(self):
        status, headers, body = raw_post(b"{}", target="AmazonSQS.GetQueueUrl")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "com.amazonaws.sqs#MissingRequiredParameterException")
        self.assertEqual(headers["x-amzn-query-error"], "MissingParameter;Sender")

    def test_oversized_request_is_refused_and_the_endpoint_goes_on(self):
        # Refused on its Content-Length, before its body is read (the connection is then closed).
        host, port = ENDPOINT[len("http://"):].split(":")
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.GetQueueUrl\r\n"
                               b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 8388608\r\n\r\n{")
            reply = connection.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        client().list_queues()  # still serving


def metric(endpoint, name):
    """One sample of GET /metrics (None when absent)."""
    host, port = endpoint[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/metrics")
    for line in connection.getresponse().read().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for_sleeping_receivers(endpoint, queue, count):
    """Until `count` long polls sleep on the queue (shmqd's gauge of its wait set), 30 s at most."""
    name = f'shmq_queue_receivers_waiting{{queue="{queue}"}}'
    for _ in range(300):
        if metric(endpoint, name) == count:
            return
        threading.Event().wait(0.1)
    raise AssertionError(f"{count} long polls never waited on {queue}")


@shmqd_only
class BlockingRequests(unittest.TestCase):
    """A long poll on an empty queue (or a Durability=sync send) must not hold up the endpoint: its
    event loops hand what blocks to a pool thread. A shmqd with ONE event-loop thread and three long polls asleep must still answer
    other requests at once, wake each poll with a message sent through the shared-memory door, and
    end polls in progress promptly (empty, not cut off) when it stops."""

    def setUp(self):
        self.daemon, self.endpoint = launch("long-polls", "--http-threads", "1")
        self.sqs = client(self.endpoint)

    def tearDown(self):
        if self.daemon.poll() is None:
            stop(self.daemon)

    def poll_in_background(self, url, results):
        def poll():
            # Its own client: a boto3 client's connection pool is not shared across threads here.
            results.append(client(self.endpoint).receive_message(QueueUrl=url, WaitTimeSeconds=20))
        thread = threading.Thread(target=poll)
        thread.start()
        return thread

    def test_polls_wait_apart_from_the_event_loop_and_wake_on_a_send(self):
        url = self.sqs.create_queue(QueueName="polled")["QueueUrl"]
        results = []
        pollers = [self.poll_in_background(url, results) for _ in range(3)]
        wait_for_sleeping_receivers(self.endpoint, "polled", 3)
        # The one event loop still serves: a read timeout far below the polls' 20 s.
        quick = boto3.client("sqs", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="x",
                             aws_secret_access_key="x",
                             config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=10))
        other = quick.create_queue(QueueName="other")["QueueUrl"]
        for i in range(20):
            quick.send_message(QueueUrl=other, MessageBody=f"m{i}")
        self.assertEqual(len(quick.receive_message(QueueUrl=other, MaxNumberOfMessages=10)["Messages"]), 10)
        self.assertEqual(len(results), 0)  # the polls still wait
        for i in range(3):
            cli("send-message", "--queue-url", "polled", "--message-body", f"wake {i}")
        for poller in pollers:
            poller.join(timeout=30)
        bodies = sorted(result["Messages"][0]["Body"] for result in results)
        self.assertEqual(bodies, ["wake 0", "wake 1", "wake 2"])

    def test_sync_sends_from_many_connections_wait_apart_from_the_event_loop(self):
        # Durability=sync sends wait for shmqd's fdatasync, on pool threads: senders on several
        # connections share commits and all come back acknowledged.
        url = self.sqs.create_queue(QueueName="synced", Attributes={"Durability": "sync"})["QueueUrl"]
        errors = []
        def send_some(sender):
            sqs = client(self.endpoint)
            try:
                for i in range(20):
                    sqs.send_message(QueueUrl=url, MessageBody=f"{sender}-{i}")
            except Exception as error:  # reported below, with the sender
                errors.append((sender, error))
        senders = [threading.Thread(target=send_some, args=(n,)) for n in range(4)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
        self.assertEqual(errors, [])
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(attributes["Attributes"]["ApproximateNumberOfMessages"], "80")

    def test_stopping_ends_polls_in_progress_with_an_empty_answer(self):
        url = self.sqs.create_queue(QueueName="stopping")["QueueUrl"]
        results = []
        poller = self.poll_in_background(url, results)
        wait_for_sleeping_receivers(self.endpoint, "stopping", 1)
        self.daemon.send_signal(signal.SIGTERM)
        # A poll ends within a second of the stop (it waits in one-second slices), far from its 20 s.
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        poller.join(timeout=30)
        self.assertEqual(len(results), 1)
        self.assertNotIn("Messages", results[0])


@shmqd_only
class Signatures(unittest.TestCase):
    """With --credentials, every request must be SigV4-signed by a configured key (a second shmqd
    on the same namespace)."""

    @classmethod
    def setUpClass(cls):
        path = os.path.join(WORK_DIR, "credentials")
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            file.write("# access key id, secret [, account]\nAKIDSHMQTEST secret-one\n"
                       "AKIDOTHER secret-other 111122223333\n")
        cls.process, cls.endpoint = launch("signed", "--credentials", path)

    @classmethod
    def tearDownClass(cls):
        stop(cls.process)

    def test_signed_requests_pass_and_bad_ones_are_refused(self):
        good = client(self.endpoint, "AKIDSHMQTEST", "secret-one")
        url = good.create_queue(QueueName="signed")["QueueUrl"]
        good.send_message(QueueUrl=url, MessageBody="signed body")
        self.assertEqual(good.receive_message(QueueUrl=url)["Messages"][0]["Body"], "signed body")
        wrong_secret = error_of(client(self.endpoint, "AKIDSHMQTEST", "secret-two").list_queues)
        self.assertEqual(wrong_secret["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(wrong_secret["ResponseMetadata"]["HTTPStatusCode"], 403)
        unknown_key = error_of(client(self.endpoint, "AKIDUNKNOWN", "secret-one").list_queues)
        self.assertEqual(unknown_key["Error"]["Code"], "InvalidClientTokenId")
        host, port = self.endpoint[len("http://"):].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("POST", "/", body="Action=ListQueues",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        unsigned = connection.getresponse()
        self.assertEqual(unsigned.status, 403)
        self.assertIn(b"<Code>MissingAuthenticationToken</Code>", unsigned.read())
        good.delete_queue(QueueUrl=url)

    def test_permissions_are_stored_and_enforced(self):
        owner = client(self.endpoint, "AKIDSHMQTEST", "secret-one")
        other = client(self.endpoint, "AKIDOTHER", "secret-other")
        url = owner.create_queue(QueueName="shared-with-permission")["QueueUrl"]
        denied = error_of(other.send_message, QueueUrl=url, MessageBody="not yet")
        self.assertEqual(denied["Error"]["Code"], "AccessDenied")
        self.assertEqual(denied["ResponseMetadata"]["HTTPStatusCode"], 403)
        owner.add_permission(QueueUrl=url, Label="partner-send", AWSAccountIds=["111122223333"],
                             Actions=["SendMessage"])
        policy = json.loads(owner.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(policy["Statement"][0]["Sid"], "partner-send")
        self.assertEqual(policy["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root")
        other.send_message(QueueUrl=url, MessageBody="granted")
        self.assertEqual(error_of(other.receive_message, QueueUrl=url)["Error"]["Code"], "AccessDenied")
        self.assertEqual(error_of(other.create_queue, QueueName="not-theirs")["Error"]["Code"], "AccessDenied")
        again = error_of(owner.add_permission, QueueUrl=url, Label="partner-send", AWSAccountIds=["111122223333"],
                         Actions=["ReceiveMessage"])
        self.assertEqual(again["Error"]["Code"], "InvalidParameterValue")
        owner.remove_permission(QueueUrl=url, Label="partner-send")
        self.assertEqual(error_of(other.send_message, QueueUrl=url, MessageBody="revoked")["Error"]["Code"],
                         "AccessDenied")
        self.assertEqual(owner.receive_message(QueueUrl=url)["Messages"][0]["Body"], "granted")
        owner.delete_queue(QueueUrl=url)


def main():
    global SHMQD, SHMQ_CLI, WORK_DIR
    SHMQD, SHMQ_CLI = sys.argv[1], sys.argv[2]
    WORK_DIR = tempfile.mkdtemp(prefix="shmq-conformance-")
    os.makedirs(os.path.join(WORK_DIR, "shm"))
    start_daemon()
    try:
        program = unittest.main(argv=[sys.argv[0], *sys.argv[3:]], exit=False, verbosity=2)
    finally:
        stop_daemon()
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
