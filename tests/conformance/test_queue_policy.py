#!/usr/bin/env python3
"""Queue policies over real sockets: boto3 against shmqd with --credentials holding a key of the
queue owner (000000000000) and a key of another account (111122223333), in whichever protocol the
boto3 at hand speaks (ctest runs this under the machine's Python, JSON 1.0, and Debian's, Query).

Goal: a queue's Policy decides as IAM decides for a resource policy: an explicit Deny beats any
Allow and binds the owner too; another account gets what an Allow grants it and nothing else;
batch actions are authorised as their single forms; aws:SourceIp conditions see the client's
socket address; an invalid policy is refused with SQS's error.

Method: start the real shmqd on a free loopback port (clients connect from 127.0.0.1), set
policies with SetQueueAttributes, and check each boto3 call succeeds or is answered AccessDenied.

Usage: test_queue_policy.py PATH_TO_SHMQD PATH_TO_SHMQ_CLI [unittest arguments]
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_sqs_clients as base  # noqa: E402  (launch, client, error_of, protocol)

OWNER = ("AKIDPOLICYOWNER", "owner-secret")
PARTNER = ("AKIDPOLICYPARTNER", "partner-secret")
PARTNER_ACCOUNT = "111122223333"


def owner():
    return base.client(base.ENDPOINT, *OWNER)


def partner():
    return base.client(base.ENDPOINT, *PARTNER)


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def denied(call, *args, **kwargs):
    """The AccessDenied answer to a call (fails the test if it is anything else)."""
    error = base.error_of(call, *args, **kwargs)
    assert error["Error"]["Code"] == "AccessDenied", error["Error"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403, error["ResponseMetadata"]
    return error["Error"]["Message"]


class QueuePolicies(unittest.TestCase):
    def setUp(self):
        self.url = owner().create_queue(QueueName="policy-" + self.id().rsplit(".", 1)[-1][:40])["QueueUrl"]
        self.arn = owner().get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"]

    def tearDown(self):
        owner().set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": ""})
        owner().delete_queue(QueueUrl=self.url)

    def set_policy(self, *statements):
        owner().set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": policy(*statements)})

    def test_deny_beats_allow_and_batches_count_as_their_single_forms(self):
        self.set_policy(
            {"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ACCOUNT},
             "Action": ["sqs:Send*", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": self.arn},
            {"Sid": "no-deletes", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::%s:root" % PARTNER_ACCOUNT},
             "Action": "sqs:DeleteMessage", "Resource": self.arn})
        partner().send_message(QueueUrl=self.url, MessageBody="one")
        sent = partner().send_message_batch(QueueUrl=self.url, Entries=[{"Id": "a", "MessageBody": "two"}])
        self.assertEqual(len(sent["Successful"]), 1)
        received = partner().receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(message["Body"] for message in received), ["one", "two"])
        message = denied(partner().delete_message, QueueUrl=self.url, ReceiptHandle=received[0]["ReceiptHandle"])
        self.assertIn("explicit deny", message)
        denied(partner().delete_message_batch, QueueUrl=self.url,
               Entries=[{"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"]}])
        message = denied(partner().change_message_visibility_batch, QueueUrl=self.url,
                         Entries=[{"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"], "VisibilityTimeout": 0}])
        self.assertIn("no resource-based policy allows the sqs:ChangeMessageVisibility action", message)
        # Account-wide and owner-only actions stay the owner's, whatever the policy says.
        denied(partner().set_queue_attributes, QueueUrl=self.url, Attributes={"DelaySeconds": "1"})
        denied(partner().list_queues)
        owner().delete_message_batch(QueueUrl=self.url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)])

    def test_an_explicit_deny_binds_the_owner_too(self):
        self.set_policy({"Effect": "Deny", "Principal": "*", "Action": "sqs:Purge*", "Resource": "*"})
        self.assertIn("explicit deny", denied(owner().purge_queue, QueueUrl=self.url))
        owner().send_message(QueueUrl=self.url, MessageBody="the owner needs no Allow")
        denied(partner().send_message, QueueUrl=self.url, MessageBody="the partner does")

    def test_source_ip_conditions_see_the_socket_peer(self):
        # Clients connect from 127.0.0.1: inside 127.0.0.0/8, outside 192.0.2.0/24.
        self.set_policy(
            {"Effect": "Allow", "Principal": {"AWS": [PARTNER_ACCOUNT]}, "Action": "sqs:SendMessage",
             "Resource": self.arn, "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Allow", "Principal": {"AWS": [PARTNER_ACCOUNT]}, "Action": "sqs:ReceiveMessage",
             "Resource": self.arn, "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "10.0.0.0/8"]}}},
            {"Effect": "Deny", "Principal": "*", "Action": "sqs:GetQueueAttributes", "Resource": self.arn,
             "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}})
        partner().send_message(QueueUrl=self.url, MessageBody="from loopback")
        denied(partner().receive_message, QueueUrl=self.url)
        denied(owner().get_queue_attributes, QueueUrl=self.url, AttributeNames=["All"])
        self.set_policy(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:ReceiveMessage", "Resource": self.arn,
             "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}, "Bool": {"aws:SecureTransport": "false"},
                           "StringEquals": {"aws:PrincipalAccount": PARTNER_ACCOUNT},
                           "StringEqualsIfExists": {"aws:SourceAccount": "999999999999"}}})
        self.assertEqual(partner().receive_message(QueueUrl=self.url)["Messages"][0]["Body"], "from loopback")
        owner().get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])

    def test_invalid_policies_are_refused_as_sqs_does(self):
        for text in ["not json", json.dumps({"Statement": {"Effect": "Allow", "Action": "sqs:*"}}),
                     policy({"Effect": "Allow", "Principal": "*", "Action": "sqs:*",
                             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/99"}}}),
                     policy({"Effect": "Allow", "Principal": "*", "Action": "sqs:*",
                             "Condition": {"ForAnyValue:StringEquals": {"aws:SourceAccount": "1"}}}),
                     policy(*[{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}] * 21)]:
            with self.subTest(text=text[:60]):
                error = base.error_of(owner().set_queue_attributes, QueueUrl=self.url, Attributes={"Policy": text})
                self.assertEqual(error["Error"]["Code"], "InvalidAttributeValue")
                self.assertEqual(error["Error"]["Message"], "Invalid value for the parameter Policy.")
                self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400)
        error = base.error_of(owner().create_queue, QueueName="policy-refused", Attributes={"Policy": "[]"})
        self.assertEqual(error["Error"]["Code"], "InvalidAttributeValue")

    def test_add_permission_statements_are_evaluated(self):
        owner().add_permission(QueueUrl=self.url, Label="partner-receive", AWSAccountIds=[PARTNER_ACCOUNT],
                               Actions=["ReceiveMessage", "SendMessage"])
        partner().send_message_batch(QueueUrl=self.url, Entries=[{"Id": "a", "MessageBody": "granted"}])
        self.assertEqual(partner().receive_message(QueueUrl=self.url)["Messages"][0]["Body"], "granted")
        denied(partner().purge_queue, QueueUrl=self.url)
        owner().remove_permission(QueueUrl=self.url, Label="partner-receive")
        denied(partner().send_message, QueueUrl=self.url, MessageBody="revoked")


def credentials_file(work_dir):
    path = os.path.join(work_dir, "credentials")
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write("%s %s\n%s %s %s\n" % (*OWNER, *PARTNER, PARTNER_ACCOUNT))
    return ["--credentials", path]


if __name__ == "__main__":
    base.run_suite("shmq-policy-", credentials_file)
