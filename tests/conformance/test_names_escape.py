#!/usr/bin/env python3
"""Queue names that try to leave their namespace, over shmqd's SQS HTTP endpoint, with boto3 in
whichever protocol the boto3 at hand speaks (ctest runs it under both, as test_sqs_clients.py).

Goal: a queue name, QueueUrl or queue ARN from a client names a queue of the endpoint's
namespace or nothing. A name like `../victim/secret`, an ARN
`arn:aws:sqs:us-east-1:000000000000:../victim/secret`, a URL of another account, an ARN of
another region, account, service or partition: each gets the error SQS gives (the queue does not
exist, or the parameter is invalid), no message moves between namespaces, the answer does not
tell whether some file on the host exists, and no error text quotes a file-system path.

Method: a "victim" namespace holds a queue with a message, put there through libshmq (the `shmq`
CLI) in the shared-memory directory shmqd also uses; shmqd serves the "attacker" namespace on a
free loopback port; boto3 tries every door a name enters by; the CLI then checks the victim's
message is still where it was.

Usage: test_names_escape.py PATH_TO_SHMQD PATH_TO_SHMQ_CLI [unittest arguments]
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import uuid

import boto3
import botocore.config
from botocore.exceptions import ClientError

SHMQD = None
SHMQ_CLI = None
WORK_DIR = None
ENDPOINT = None
DAEMON = None
SUFFIX = uuid.uuid4().hex[:8]
VICTIM = "victim-" + SUFFIX
ATTACKER = "attacker-" + SUFFIX
SECRET_BODY = "the victim's data"
ARN_PREFIX = "arn:aws:sqs:us-east-1:000000000000:"
TRAVERSAL = f"../{VICTIM}/secret"


def environment(namespace):
    return dict(os.environ, SHMQ_NAMESPACE=namespace, SHMQ_SHM_DIR=os.path.join(WORK_DIR, "shm"))


def cli(namespace, *args):
    completed = subprocess.run([SHMQ_CLI, *args], capture_output=True, text=True, env=environment(namespace),
                               timeout=60)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if completed.stdout.strip() else {}


def client():
    return boto3.client(
        "sqs", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
        config=botocore.config.Config(retries={"max_attempts": 1}))


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response
    raise AssertionError(f"the call succeeded: {kwargs}")


def redrive(arn):
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"})


class NamesStayInTheirNamespace(unittest.TestCase):
    def setUp(self):
        self.sqs = client()

    def tearDown(self):
        # Whatever was tried, the victim's message is where it was, and the attacker has nothing.
        victim = cli(VICTIM, "get-queue-attributes", "--queue-url", "secret", "--attribute-names",
                     "ApproximateNumberOfMessages")
        self.assertEqual(victim["Attributes"]["ApproximateNumberOfMessages"], "1")
        for url in self.sqs.list_queues().get("QueueUrls", []):
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            self.assertEqual([m["Body"] for m in messages if m["Body"] == SECRET_BODY], [])

    def assert_no_path(self, response):
        message = response["Error"].get("Message", "")
        self.assertNotIn(WORK_DIR, message)
        self.assertNotIn("/shm", message)
        self.assertNotIn(".q", message)

    def assert_queue_missing(self, response):
        self.assertEqual(response["Error"]["Code"], "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assert_no_path(response)

    def assert_invalid(self, response, message=None):
        self.assertEqual(response["Error"]["Code"], "InvalidParameterValue")
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)
        if message is not None:
            self.assertEqual(response["Error"]["Message"], message)
        self.assert_no_path(response)

    def test_get_queue_url_with_a_path_is_a_missing_queue(self):
        for name in (TRAVERSAL, "../x", "..", ".", "a/b", "%2e%2e", "../../../../etc/passwd", "q\u00e9"):
            with self.subTest(name=name):
                self.assert_queue_missing(error_of(self.sqs.get_queue_url, QueueName=name))

    def test_whether_a_file_exists_is_not_told(self):
        # A file <name>.q outside the namespace answers exactly as a file that is not there.
        planted = os.path.join(WORK_DIR, "planted.q")
        with open(planted, "w") as file:
            file.write("not a region")
        relative = "../../../planted"
        there = error_of(self.sqs.get_queue_url, QueueName=relative)
        absent = error_of(self.sqs.get_queue_url, QueueName="../../../absent")
        self.assert_queue_missing(there)
        self.assertEqual(there["Error"], absent["Error"])

    def test_create_queue_with_a_path_is_invalid(self):
        for name in (TRAVERSAL, "../x", "a/b", "x" * 81, "..fifo"):
            with self.subTest(name=name):
                self.assert_invalid(error_of(self.sqs.create_queue, QueueName=name))
        self.assertEqual(cli(VICTIM, "list-queues")["QueueUrls"], ["http://127.0.0.1:9324/000000000000/secret"])

    def test_queue_urls_name_only_this_account_and_namespace(self):
        own = self.sqs.create_queue(QueueName="own")["QueueUrl"]
        for url in (ENDPOINT + "/000000000000/" + TRAVERSAL, ENDPOINT + "/000000000000/..",
                    ENDPOINT + "/000000000000/%2e%2e%2f" + VICTIM + "%2fsecret", ENDPOINT + "/111111111111/own",
                    ENDPOINT + "/" + VICTIM + "/secret"):
            with self.subTest(url=url):
                self.assert_queue_missing(error_of(self.sqs.receive_message, QueueUrl=url))
                self.assert_queue_missing(error_of(self.sqs.send_message, QueueUrl=url, MessageBody="x"))
                self.assert_queue_missing(error_of(self.sqs.get_queue_attributes, QueueUrl=url,
                                                   AttributeNames=["All"]))
                self.assert_queue_missing(error_of(self.sqs.list_dead_letter_source_queues, QueueUrl=url))
                self.assert_queue_missing(error_of(self.sqs.purge_queue, QueueUrl=url))
        self.sqs.delete_queue(QueueUrl=own)

    def test_redrive_policy_names_a_queue_of_this_endpoint(self):
        dlq = self.sqs.create_queue(QueueName="dlq")["QueueUrl"]
        cases = {
            ARN_PREFIX + TRAVERSAL: "Invalid value for deadLetterTargetArn.",
            ARN_PREFIX + "..": "Invalid value for deadLetterTargetArn.",
            "arn:aws:sqs:us-east-1:000000000000:dlq:extra": "Invalid value for deadLetterTargetArn.",
            "arn:aws:sns:us-east-1:000000000000:dlq": "Invalid value for deadLetterTargetArn.",
            "arn:aws-cn:sqs:us-east-1:000000000000:dlq": "Invalid value for deadLetterTargetArn.",
            "arn:aws:sqs:eu-west-1:000000000000:dlq": "Dead-letter target must be in same region as the source.",
            "arn:aws:sqs:us-east-1:111111111111:dlq": "Dead-letter target owner should be same as the source.",
        }
        for arn, reason in cases.items():
            with self.subTest(arn=arn):
                policy = redrive(arn)
                expected = f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {reason}"
                self.assert_invalid(error_of(self.sqs.create_queue, QueueName="src",
                                             Attributes={"RedrivePolicy": policy}), expected)
                self.assert_invalid(error_of(self.sqs.set_queue_attributes, QueueUrl=dlq,
                                             Attributes={"RedrivePolicy": policy}), expected)
        self.assert_queue_missing(error_of(self.sqs.get_queue_url, QueueName="src"))
        self.sqs.delete_queue(QueueUrl=dlq)

    def test_redrive_allow_policy_arns_are_queue_arns(self):
        dlq = self.sqs.create_queue(QueueName="allow-dlq")["QueueUrl"]
        for arn in (ARN_PREFIX + TRAVERSAL, "arn:aws:sns:us-east-1:000000000000:src", "not an arn"):
            with self.subTest(arn=arn):
                policy = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
                self.assert_invalid(error_of(self.sqs.set_queue_attributes, QueueUrl=dlq,
                                             Attributes={"RedriveAllowPolicy": policy}))
        self.sqs.delete_queue(QueueUrl=dlq)

    def test_move_tasks_over_query_without_sdk_support(self):
        """Debian's boto3 1.26 (the Query client) predates move tasks: the same checks, posted raw."""
        if hasattr(self.sqs, "start_message_move_task"):
            self.skipTest("the SDK has move tasks: see test_move_tasks_move_only_queues_of_this_endpoint")
        host, port = ENDPOINT[len("http://"):].split(":")
        for action, arn, code, message in (
                ("StartMessageMoveTask", ARN_PREFIX + TRAVERSAL, "InvalidParameterValue",
                 "You must use a valid source ARN."),
                ("ListMessageMoveTasks", ARN_PREFIX + TRAVERSAL, "InvalidParameterValue",
                 "You must use a valid source ARN."),
                ("StartMessageMoveTask", "arn:aws:sqs:eu-west-1:000000000000:x", "ResourceNotFoundException", None)):
            with self.subTest(action=action, arn=arn):
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", "SourceArn": arn})
                connection.request("POST", "/", body=body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
                response = connection.getresponse()
                text = response.read().decode()
                connection.close()
                self.assertIn(f"<Code>{code}</Code>", text)
                if message is not None:
                    self.assertIn(f"<Message>{message}</Message>", text)
                self.assertNotIn(WORK_DIR, text)

    def test_move_tasks_move_only_queues_of_this_endpoint(self):
        if not hasattr(self.sqs, "start_message_move_task"):
            self.skipTest("this boto3 predates move tasks: see test_move_tasks_over_query_without_sdk_support")
        mine = self.sqs.create_queue(QueueName="mine")["QueueUrl"]
        source = ARN_PREFIX + TRAVERSAL
        invalid_source = error_of(self.sqs.start_message_move_task, SourceArn=source,
                                  DestinationArn=ARN_PREFIX + "mine")
        self.assert_invalid(invalid_source, "You must use a valid source ARN.")
        for arn in ("arn:aws:sqs:us-east-1:000000000000:mine:x", "arn:aws:sns:us-east-1:000000000000:mine",
                    "arn:aws-cn:sqs:us-east-1:000000000000:mine", "mine"):
            with self.subTest(source=arn):
                self.assert_invalid(error_of(self.sqs.start_message_move_task, SourceArn=arn),
                                    "You must use a valid source ARN.")
                self.assert_invalid(error_of(self.sqs.list_message_move_tasks, SourceArn=arn),
                                    "You must use a valid source ARN.")
        for arn in ("arn:aws:sqs:eu-west-1:000000000000:mine", "arn:aws:sqs:us-east-1:111111111111:mine"):
            with self.subTest(source=arn):
                missing = error_of(self.sqs.start_message_move_task, SourceArn=arn)
                self.assertEqual(missing["Error"]["Code"], "ResourceNotFoundException")
                self.assertEqual(missing["ResponseMetadata"]["HTTPStatusCode"], 404)
                listed = error_of(self.sqs.list_message_move_tasks, SourceArn=arn)
                self.assertEqual(listed["Error"]["Code"], "ResourceNotFoundException")
        # A dead-letter queue of our own, and a destination that walks out of the namespace.
        dlq = self.sqs.create_queue(QueueName="move-dlq")["QueueUrl"]
        self.sqs.create_queue(QueueName="move-src", Attributes={"RedrivePolicy": redrive(ARN_PREFIX + "move-dlq")})
        self.sqs.send_message(QueueUrl=dlq, MessageBody="ours")
        self.assert_invalid(error_of(self.sqs.start_message_move_task, SourceArn=ARN_PREFIX + "move-dlq",
                                     DestinationArn=ARN_PREFIX + TRAVERSAL),
                            "You must use a valid destination ARN.")
        other_region = error_of(self.sqs.start_message_move_task, SourceArn=ARN_PREFIX + "move-dlq",
                                DestinationArn="arn:aws:sqs:eu-west-1:000000000000:mine")
        self.assertEqual(other_region["Error"]["Code"], "ResourceNotFoundException")
        # A task handle naming a path is no task.
        cancelled = error_of(self.sqs.cancel_message_move_task, TaskHandle="0." + TRAVERSAL)
        self.assertIn(cancelled["Error"]["Code"], ("ResourceNotFoundException", "InvalidParameterValue"))
        self.assert_no_path(cancelled)
        for url in (mine, dlq):
            self.sqs.delete_queue(QueueUrl=url)
        self.sqs.delete_queue(QueueUrl=self.sqs.get_queue_url(QueueName="move-src")["QueueUrl"])


def main():
    global SHMQD, SHMQ_CLI, WORK_DIR, ENDPOINT, DAEMON
    SHMQD, SHMQ_CLI = sys.argv[1], sys.argv[2]
    WORK_DIR = tempfile.mkdtemp(prefix="shmq-names-")
    os.makedirs(os.path.join(WORK_DIR, "shm"))
    cli(VICTIM, "create-queue", "--queue-name", "secret")
    cli(VICTIM, "send-message", "--queue-url", "secret", "--message-body", SECRET_BODY)
    DAEMON = subprocess.Popen(
        [SHMQD, "--data-dir", os.path.join(WORK_DIR, "data"), "--namespace", ATTACKER, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment(ATTACKER))
    listening = DAEMON.stdout.readline().strip()
    assert listening.startswith("shmqd listening on "), listening
    assert DAEMON.stdout.readline().strip() == "shmqd ready"
    ENDPOINT = listening[len("shmqd listening on "):]
    try:
        program = unittest.main(argv=[sys.argv[0], *sys.argv[3:]], exit=False, verbosity=2)
    finally:
        DAEMON.send_signal(signal.SIGTERM)
        stopped = DAEMON.wait(timeout=60)
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(0 if program.result.wasSuccessful() and stopped == 0 else 1)


if __name__ == "__main__":
    main()
