#!/usr/bin/env python3
"""The aws command line against shmqd's SQS endpoint, unmodified: aws-cli 1.45 from the machine's
Python (JSON 1.0 protocol) and Debian's /usr/bin/aws 2.9 (Query protocol).

Goal: `aws sqs ... --endpoint-url http://127.0.0.1:PORT` works for the everyday commands (create,
list, attributes, send with attributes, receive, delete, batches, purge, delete queue) and reports
errors as against AWS (the error line names the SQS code), under both protocols.
Method: start the real shmqd on a free port (private namespace and shared-memory directory), run
each CLI as a subprocess with dummy credentials, check its JSON output and exit codes.

Usage: test_aws_cli.py PATH_TO_SHMQD AWS_CLI [AWS_CLI ...] [unittest arguments after --]
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

SHMQD = None
CLIS = []
WORK_DIR = None
ENDPOINT = None


def aws(cli, *args, expect_failure=False):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    # aws-cli 1 puts the machine's pyenv first; Debian's aws must run under /usr/bin/python3.
    completed = subprocess.run([cli, "--endpoint-url", ENDPOINT, "--output", "json", "sqs", *args],
                               capture_output=True, text=True, env=env, timeout=120)
    if expect_failure:
        assert completed.returncode != 0, completed.stdout
        return completed.stderr
    assert completed.returncode == 0, (cli, args, completed.stderr)
    return json.loads(completed.stdout) if completed.stdout.strip() else {}


class Cli(unittest.TestCase):
    def test_everyday_commands(self):
        for index, cli in enumerate(CLIS):
            with self.subTest(cli=cli):
                name = f"cli-queue-{index}"
                url = aws(cli, "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=30")["QueueUrl"]
                self.assertTrue(url.endswith("/000000000000/" + name))
                self.assertIn(url, aws(cli, "list-queues")["QueueUrls"])
                attributes = aws(cli, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
                self.assertEqual(attributes["Attributes"]["VisibilityTimeout"], "30")
                sent = aws(cli, "send-message", "--queue-url", url, "--message-body", "from the cli",
                           "--message-attributes", '{"k": {"DataType": "String", "StringValue": "v"}}')
                self.assertIn("MD5OfMessageAttributes", sent)
                received = aws(cli, "receive-message", "--queue-url", url, "--message-attribute-names", "All")
                message = received["Messages"][0]
                self.assertEqual(message["MessageId"], sent["MessageId"])
                self.assertEqual(message["MessageAttributes"]["k"]["StringValue"], "v")
                aws(cli, "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
                batch = aws(cli, "send-message-batch", "--queue-url", url, "--entries",
                            json.dumps([{"Id": "one", "MessageBody": "1"}, {"Id": "two", "MessageBody": "2"}]))
                self.assertEqual(sorted(entry["Id"] for entry in batch["Successful"]), ["one", "two"])
                aws(cli, "purge-queue", "--queue-url", url)
                aws(cli, "delete-queue", "--queue-url", url)
                error = aws(cli, "get-queue-url", "--queue-name", name, expect_failure=True)
                self.assertIn("AWS.SimpleQueueService.NonExistentQueue", error)


def main():
    global SHMQD, CLIS, WORK_DIR, ENDPOINT
    arguments = sys.argv[1:]
    rest = arguments.index("--") if "--" in arguments else len(arguments)
    SHMQD, CLIS = arguments[0], arguments[1:rest]
    WORK_DIR = tempfile.mkdtemp(prefix="shmq-aws-cli-")
    os.makedirs(os.path.join(WORK_DIR, "shm"))
    daemon = subprocess.Popen(
        [SHMQD, "--data-dir", os.path.join(WORK_DIR, "data"), "--namespace", "aws-cli-" + str(os.getpid()),
         "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, SHMQ_SHM_DIR=os.path.join(WORK_DIR, "shm")))
    ENDPOINT = daemon.stdout.readline().strip()[len("shmqd listening on "):]
    assert daemon.stdout.readline().strip() == "shmqd ready"
    try:
        program = unittest.main(argv=[sys.argv[0], *arguments[rest + 1:]], exit=False, verbosity=2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
