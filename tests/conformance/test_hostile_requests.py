#!/usr/bin/env python3
"""Hostile requests against shmqd's SQS HTTP endpoint, over real sockets.

Goal: no request body crashes or hangs shmqd. A Query form of 800 KB whose one key has 400 000
dot-separated parts (it overflowed the stack and killed shmqd), a form of 100 000 parameters, a JSON
body nested 100 000 deep and a JSON request with the wrong content type are each answered with
an SQS error in their protocol's shape (400, or 415 for the content type), and shmqd serves the
boto3 call that follows. A queue whose RedrivePolicy names itself (SetQueueAttributes never
answered, every later call on the queue hung, and shmqd then ignored SIGTERM) answers, and
SIGTERM stops shmqd within a few seconds.

Method: start the real shmqd on a free loopback port in a namespace and shared-memory directory of
its own, post raw requests with http.client, call it with boto3 (whichever protocol the boto3 at
hand speaks), stop it with SIGTERM and time the exit.

Usage: test_hostile_requests.py PATH_TO_SHMQD [unittest arguments]
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import boto3
import botocore.config

SHMQD = None
NAMESPACE = "hostile-" + uuid.uuid4().hex[:12]
WORK_DIR = None
# shmqd's own bound on a stop: its watchdog exits with status 1 past it (a clean stop is 0, so a
# handler that held the stop up fails the exit code too). A tighter wall-clock bound here failed
# once under ASan on a loaded 2-core machine (5.05 s against 5; 0.2 s is usual).
STOP_SECONDS_MAX = 10


def launch():
    """Starts a shmqd on a free port, in a namespace and data directory of its own; returns
    (process, endpoint URL)."""
    name = NAMESPACE + "-" + uuid.uuid4().hex[:6]
    process = subprocess.Popen(
        [SHMQD, "--data-dir", os.path.join(WORK_DIR, name), "--namespace", name, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, SHMQ_SHM_DIR=os.path.join(WORK_DIR, "shm")))
    listening = process.stdout.readline().strip()
    assert listening.startswith("shmqd listening on "), listening
    assert process.stdout.readline().strip() == "shmqd ready"
    return process, listening[len("shmqd listening on "):]


def client(endpoint):
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
        config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


def post(endpoint, body, headers):
    host, port = endpoint[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("POST", "/", body=body, headers=headers)
    response = connection.getresponse()
    reply = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    connection.close()
    return reply


def post_form(endpoint, form):
    return post(endpoint, form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})


def post_json(endpoint, action, body, content_type="application/x-amz-json-1.0"):
    return post(endpoint, body.encode(), {"Content-Type": content_type, "X-Amz-Target": "AmazonSQS." + action})


class HostileRequests(unittest.TestCase):
    def setUp(self):
        self.daemon, self.endpoint = launch()

    def tearDown(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon.stdout.close()

    def stop_in_time(self):
        started = time.monotonic()
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=60), 0)
        self.assertLess(time.monotonic() - started, STOP_SECONDS_MAX)

    def assert_query_error(self, reply, code):
        status, _, body = reply
        self.assertEqual(status, 400, body[:300])
        self.assertIn("<ErrorResponse", body)
        self.assertIn("<Code>%s</Code>" % code, body)

    def assert_json_error(self, reply, status, error_type):
        got_status, headers, body = reply
        self.assertEqual(got_status, status, body[:300])
        self.assertTrue(headers["content-type"].startswith("application/x-amz-json-1.0"))
        self.assertEqual(json.loads(body)["__type"], "com.amazon.coral.service#" + error_type)

    def assert_still_serving(self):
        self.assertIsNone(self.daemon.poll(), "shmqd exited")
        sqs = client(self.endpoint)
        url = sqs.create_queue(QueueName="after-" + uuid.uuid4().hex[:8])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="still here")
        self.assertEqual(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "still here")

    def test_a_key_800_kb_deep(self):
        key = ".".join(["a"] * 400_000)
        self.assert_query_error(post_form(self.endpoint, "Action=ListQueues&" + key + "=1"), "InvalidQueryParameter")
        self.assert_still_serving()
        self.stop_in_time()

    def test_100_000_parameters(self):
        form = "Action=ListQueues&" + "&".join("p%d=1" % i for i in range(100_000))
        self.assert_query_error(post_form(self.endpoint, form), "InvalidQueryParameter")
        self.assert_still_serving()

    def test_a_list_index_out_of_range(self):
        form = "Action=SendMessageBatch&QueueUrl=%s/000000000000/q&SendMessageBatchRequestEntry.99999999999.Id=a" % (
            self.endpoint)
        self.assert_query_error(post_form(self.endpoint, form), "InvalidQueryParameter")
        self.assert_still_serving()

    def test_json_nested_100_000_deep(self):
        body = '{"QueueNamePrefix":' + "[" * 100_000 + "]" * 100_000 + "}"
        self.assert_json_error(post_json(self.endpoint, "ListQueues", body), 400, "SerializationException")
        self.assert_still_serving()

    def test_json_with_another_content_type(self):
        for content_type in ("application/json", "text/plain"):
            self.assert_json_error(post_json(self.endpoint, "ListQueues", "{}", content_type), 415,
                                   "UnsupportedMediaTypeException")
        self.assert_still_serving()

    def test_a_queue_that_is_its_own_dead_letter_target(self):
        sqs = client(self.endpoint)
        url = sqs.create_queue(QueueName="self-redrive", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1})
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
        got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
        self.assertEqual(json.loads(got["RedrivePolicy"])["deadLetterTargetArn"], arn)
        sqs.send_message(QueueUrl=url, MessageBody="poison")
        for receive in (1, 2, 3):  # delivered each time, never moved into itself
            messages = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
            self.assertEqual(messages[0]["Attributes"]["ApproximateReceiveCount"], str(receive))
        self.stop_in_time()


def main():
    global SHMQD, WORK_DIR
    SHMQD = os.path.abspath(sys.argv[1])
    WORK_DIR = tempfile.mkdtemp(prefix="shmq-hostile-")
    os.mkdir(os.path.join(WORK_DIR, "shm"))
    try:
        unittest.main(argv=[sys.argv[0], *sys.argv[2:]], verbosity=2)
    finally:
        shutil.rmtree(WORK_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
