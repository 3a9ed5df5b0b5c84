#!/usr/bin/env python3
"""KmsMasterKeyId against shmqd's key ring, over real sockets with boto3, in whichever protocol the
boto3 at hand speaks (ctest runs it under the machine's Python, JSON 1.0, and Debian's, Query).

Goal: a queue may name a master key the way KMS accepts it (key id, alias/NAME, key ARN, alias
ARN in shmqd's region and account); a key the ring does not hold is refused with SQS's
KmsNotFound at CreateQueue and SetQueueAttributes, and the queue is left as it was;
GetQueueAttributes tells which encryption a queue has (SqsManagedSseEnabled=true by default,
false when turned off, the key id when one is named).

Method: start the real shmqd with a key ring file written by the test (mode 0600) holding one key
with an alias besides the two shmqd makes, and call CreateQueue / SetQueueAttributes /
GetQueueAttributes through boto3.

Usage: test_kms_keys.py PATH_TO_SHMQD PATH_TO_SHMQ_CLI [unittest arguments]
"""

import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_sqs_clients as base  # noqa: E402  (launch, client, error_of, protocol)

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS = "alias/payments"


def client():
    return base.client(base.ENDPOINT)


def attributes(url, *names):
    return client().get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])["Attributes"]


def kms_not_found(call, *args, **kwargs):
    error = base.error_of(call, *args, **kwargs)
    assert error["Error"]["Code"] == "KmsNotFound", error["Error"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, error["ResponseMetadata"]
    return error["Error"]["Message"]


class KmsKeys(unittest.TestCase):
    def test_new_queues_report_sqs_managed_sse(self):
        url = client().create_queue(QueueName="kms-default")["QueueUrl"]
        self.assertEqual(attributes(url)["SqsManagedSseEnabled"], "true")
        self.assertNotIn("KmsMasterKeyId", attributes(url))
        client().set_queue_attributes(QueueUrl=url, Attributes={"SqsManagedSseEnabled": "false"})
        self.assertEqual(attributes(url)["SqsManagedSseEnabled"], "false")
        client().delete_queue(QueueUrl=url)

    def test_every_form_of_a_known_key_is_taken(self):
        for index, key in enumerate([KEY_ID, ALIAS, "alias/aws/sqs",
                                     "arn:aws:kms:us-east-1:000000000000:key/" + KEY_ID,
                                     "arn:aws:kms:us-east-1:000000000000:" + ALIAS]):
            url = client().create_queue(QueueName="kms-known-%d" % index,
                                        Attributes={"KmsMasterKeyId": key,
                                                    "KmsDataKeyReusePeriodSeconds": "60"})["QueueUrl"]
            got = attributes(url)
            self.assertEqual(got["KmsMasterKeyId"], key)
            self.assertEqual(got["KmsDataKeyReusePeriodSeconds"], "60")
            self.assertEqual(got["SqsManagedSseEnabled"], "false")
            client().delete_queue(QueueUrl=url)

    def test_an_unknown_key_is_kms_not_found_and_changes_nothing(self):
        for key in ["alias/nobody", "0000dead-0000-0000-0000-000000000000",
                    "arn:aws:kms:eu-west-1:000000000000:key/" + KEY_ID,  # another region
                    "arn:aws:kms:us-east-1:111122223333:" + ALIAS,      # another account
                    "../../etc/passwd"]:
            message = kms_not_found(client().create_queue, QueueName="kms-unknown",
                                    Attributes={"KmsMasterKeyId": key})
            self.assertIn("KmsMasterKeyId", message)
        self.assertNotIn("QueueUrls", client().list_queues(QueueNamePrefix="kms-unknown"))
        url = client().create_queue(QueueName="kms-kept", Attributes={"KmsMasterKeyId": ALIAS})["QueueUrl"]
        kms_not_found(client().set_queue_attributes, QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/nobody"})
        self.assertEqual(attributes(url, "KmsMasterKeyId")["KmsMasterKeyId"], ALIAS)
        client().delete_queue(QueueUrl=url)


def key_ring_file(work_dir):
    path = os.path.join(work_dir, "keys.json")
    ring = {"managed_key": "managed-1",
            "keys": [{"id": "managed-1", "material": base64.b64encode(os.urandom(32)).decode()},
                     {"id": "aws-sqs-1", "aliases": ["alias/aws/sqs"],
                      "material": base64.b64encode(os.urandom(32)).decode()},
                     {"id": KEY_ID, "aliases": [ALIAS], "material": base64.b64encode(os.urandom(32)).decode()}]}
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        json.dump(ring, file)
    return ["--key-file", path]


if __name__ == "__main__":
    base.run_suite("shmq-kms-", key_ring_file)
