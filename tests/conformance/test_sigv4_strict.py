#!/usr/bin/env python3
"""SigV4 as AWS checks it, against shmqd started with --credentials (issue 11, item 4).

Goal: what real clients sign is accepted (boto3, botocore's signers, a presigned Query URL,
libcurl's CURLOPT_AWS_SIGV4 through `curl --aws-sigv4`), and what AWS would refuse is refused with
AWS's error code and status, in both wire protocols: a credential scoped to another region or
service, a signature that leaves `host` or `x-amz-target` out, an unsigned payload, a temporary
key used without its session token or with another one.

Method: start the real shmqd on a free loopback port with a credentials file (a plain key and one
with a session token), drive it with boto3; for the refusals, sign raw requests with botocore's
own SigV4Auth (changing only the one thing under test, e.g. a subclass that leaves `host` out of
the signed headers) and send them with http.client; stop shmqd with SIGTERM at the end.

Usage: test_sigv4_strict.py PATH_TO_SHMQD [unittest arguments]
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
import xml.etree.ElementTree

import boto3
import botocore.config
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

SHMQD = None
WORK_DIR = None
DAEMON = None
ENDPOINT = None
REGION = "us-east-1"
KEY, SECRET = "AKIDSTRICT", "strict-secret"
TEMP_KEY, TEMP_SECRET, TEMP_TOKEN = "ASIATEMPORARY", "temporary-secret", "FQoGZXIvYXdzEXAMPLETOKEN+/=="
QUERY_BODY = "Action=ListQueues&Version=2012-11-05"
METRICS_TOKEN = "scraper-" + uuid.uuid4().hex


def start_daemon():
    global DAEMON, ENDPOINT
    credentials = os.path.join(WORK_DIR, "credentials")
    with os.fdopen(os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(f"# ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [SESSION_TOKEN]]\n{KEY} {SECRET}\n"
                   f"{TEMP_KEY} {TEMP_SECRET} 000000000000 {TEMP_TOKEN}\n")
    token_file = os.path.join(WORK_DIR, "metrics-token")
    with os.fdopen(os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(METRICS_TOKEN + "\n")
    DAEMON = subprocess.Popen(
        [SHMQD, "--data-dir", os.path.join(WORK_DIR, "data"), "--namespace", "sigv4-" + uuid.uuid4().hex[:12],
         "--listen", "127.0.0.1:0", "--credentials", credentials, "--region", REGION,
         "--metrics-token-file", token_file],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, SHMQ_SHM_DIR=os.path.join(WORK_DIR, "shm")))
    listening = DAEMON.stdout.readline().strip()
    assert listening.startswith("shmqd listening on "), listening
    assert DAEMON.stdout.readline().strip() == "shmqd ready"
    ENDPOINT = listening[len("shmqd listening on "):]


def client(region=REGION, key=KEY, secret=SECRET, token=None):
    return boto3.client("sqs", endpoint_url=ENDPOINT, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def send(method, url, body, headers):
    """Sends a request as given; returns (status, Query-protocol error code or None, body text)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    target = parts.path + ("?" + parts.query if parts.query else "")
    connection.request(method, target, body=body.encode() if isinstance(body, str) else body or None, headers=dict(headers))
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    # JSON names the Query code in x-amzn-query-error ("Code;Sender"); Query in <Code>.
    query_error = response.getheader("x-amzn-query-error")
    if query_error:
        return response.status, query_error.split(";")[0], text
    if "<Code>" in text:
        return response.status, text.split("<Code>")[1].split("</Code>")[0], text
    return response.status, None, text


def error_message(text):
    """The message of an error reply in either protocol (JSON "message", Query <Message>)."""
    if text.startswith("{"):
        return json.loads(text)["message"]
    return xml.etree.ElementTree.fromstring(text).find("{*}Error/{*}Message").text


def protocol_request(protocol):
    """An unsigned ListQueues in the given protocol."""
    if protocol == "json":
        return AWSRequest(method="POST", url=ENDPOINT + "/", data="{}",
                          headers={"Content-Type": "application/x-amz-json-1.0",
                                   "X-Amz-Target": "AmazonSQS.ListQueues"})
    return AWSRequest(method="POST", url=ENDPOINT + "/", data=QUERY_BODY,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})


def signed_send(protocol, auth=None, prepare=None):
    request = protocol_request(protocol)
    if prepare:
        prepare(request)
    (auth or SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION)).add_auth(request)
    return send(request.method, request.url, request.body, request.headers.items())


class LeaveOut(SigV4Auth):
    """botocore's signer, leaving one header out of the signed headers (and nothing else changed)."""

    def __init__(self, header, *args):
        super().__init__(*args)
        self.left_out = header

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        del headers[self.left_out]
        return headers


class Clients(unittest.TestCase):
    def test_boto3_signed_in_the_endpoint_region_is_accepted(self):
        sqs = client()
        url = sqs.create_queue(QueueName="strict-" + uuid.uuid4().hex[:8])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="signed strictly")
        self.assertEqual(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "signed strictly")
        sqs.delete_queue(QueueUrl=url)

    def test_boto3_signed_for_another_region_is_refused(self):
        with self.assertRaises(ClientError) as raised:
            client(region="eu-west-1").list_queues()
        error = raised.exception.response
        self.assertEqual(error["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertIn("Credential should be scoped to a valid region", error["Error"]["Message"])

    def test_boto3_with_a_session_token_key(self):
        self.assertEqual(client(key=TEMP_KEY, secret=TEMP_SECRET, token=TEMP_TOKEN).list_queues()
                         ["ResponseMetadata"]["HTTPStatusCode"], 200)
        for token in (None, TEMP_TOKEN + "x"):
            with self.assertRaises(ClientError) as raised:
                client(key=TEMP_KEY, secret=TEMP_SECRET, token=token).list_queues()
            self.assertEqual(raised.exception.response["Error"]["Code"], "InvalidClientTokenId")
            self.assertEqual(raised.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_presigned_query_url(self):
        # botocore's presigner on a Query GET; with a Query-protocol boto3, generate_presigned_url too.
        request = AWSRequest(method="GET", url=ENDPOINT + "/?" + QUERY_BODY)
        SigV4QueryAuth(Credentials(KEY, SECRET), "sqs", REGION, expires=300).add_auth(request)
        status, code, text = send("GET", request.url, None, {})
        self.assertEqual((status, code), (200, None), text)
        self.assertIn("ListQueuesResponse", text)
        status, code, _ = send("GET", request.url + "&QueueNamePrefix=x", None, {})
        self.assertEqual((status, code), (403, "SignatureDoesNotMatch"))
        too_long = AWSRequest(method="GET", url=ENDPOINT + "/?" + QUERY_BODY)
        SigV4QueryAuth(Credentials(KEY, SECRET), "sqs", REGION, expires=604801).add_auth(too_long)
        self.assertEqual(send("GET", too_long.url, None, {})[:2], (400, "IncompleteSignature"))
        sqs = client()
        if sqs._service_model.protocol == "query":
            # Signed for GET: by default botocore signs the operation's own method, POST.
            url = sqs.generate_presigned_url("list_queues", Params={}, ExpiresIn=300, HttpMethod="GET")
            status, code, text = send("GET", url, None, {})
            self.assertEqual((status, code), (200, None), text)

    def test_curl_aws_sigv4(self):
        curl = shutil.which("curl")
        version = subprocess.run([curl, "--version"], capture_output=True, text=True).stdout.split()[1]
        self.assertGreaterEqual(tuple(int(part) for part in version.split(".")[:2]), (7, 75))

        def curl_call(provider, *arguments):
            completed = subprocess.run(
                [curl, "-sS", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", provider, "--user",
                 f"{KEY}:{SECRET}", *arguments, ENDPOINT + "/"], capture_output=True, text=True, timeout=60)
            self.assertEqual(completed.returncode, 0, completed.stderr)
            body, _, status = completed.stdout.rpartition("\n")
            return int(status), body

        query = ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", QUERY_BODY]
        json_call = ["-H", "Content-Type: application/x-amz-json-1.0", "-H", "X-Amz-Target: AmazonSQS.ListQueues",
                     "--data-binary", "{}"]
        for arguments in (query, json_call):
            status, body = curl_call(f"aws:amz:{REGION}:sqs", *arguments)
            self.assertEqual(status, 200, body)
            status, body = curl_call("aws:amz:ap-south-1:sqs", *arguments)
            self.assertEqual(status, 403, body)
            self.assertIn("Credential should be scoped to a valid region", error_message(body))


class RawRequests(unittest.TestCase):
    """Each refusal in both protocols; the same request signed plainly is accepted."""

    def each_protocol(self, expected_status, expected_code, message_part, **signing):
        for protocol in ("json", "query"):
            with self.subTest(protocol=protocol):
                status, code, text = signed_send(protocol, **signing)
                self.assertEqual((status, code), (expected_status, expected_code), text)
                if message_part:
                    self.assertIn(message_part, error_message(text))

    def test_signed_plainly_is_accepted(self):
        self.each_protocol(200, None, None)

    def test_signed_query_value_changed_to_plus_is_refused(self):
        # Signed as "1%2B1"; sent as "1+1", which the form runs as "1 1": what is executed must be
        # what was signed, so the verifier decodes '+' as the form does and the signatures differ.
        query = "Action=ListQueues&QueueNamePrefix=1%2B1&Version=2012-11-05"
        request = AWSRequest(method="GET", url=ENDPOINT + "/?" + query)
        SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION).add_auth(request)
        status, code, text = send("GET", request.url, None, request.headers.items())
        self.assertEqual((status, code), (200, None), text)
        status, code, text = send("GET", request.url.replace("1%2B1", "1+1"), None, request.headers.items())
        self.assertEqual((status, code), (403, "SignatureDoesNotMatch"), text)

    def test_host_left_unsigned(self):
        self.each_protocol(403, "SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader'",
                           auth=LeaveOut("host", Credentials(KEY, SECRET), "sqs", REGION))

    def test_x_amz_target_left_unsigned(self):
        status, code, text = signed_send("json", auth=LeaveOut("x-amz-target", Credentials(KEY, SECRET), "sqs",
                                                               REGION))
        self.assertEqual((status, code), (403, "SignatureDoesNotMatch"), text)
        self.assertEqual(json.loads(text)["__type"], "com.amazon.coral.service#InvalidSignatureException")
        self.assertIn("'X-Amz-Target' must be a 'SignedHeader'", error_message(text))

    def test_unsigned_payload(self):
        def unsigned(request):
            request.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
        self.each_protocol(400, "IncompleteSignature", "UNSIGNED-PAYLOAD is not accepted", prepare=unsigned)

    def test_payload_hash_of_another_body(self):
        def other_hash(request):
            request.headers["X-Amz-Content-SHA256"] = "0" * 64
        self.each_protocol(400, "SignatureDoesNotMatch", "x-amz-content-sha256 header does not match",
                           prepare=other_hash)

    def test_body_changed_after_signing(self):
        for protocol in ("json", "query"):
            with self.subTest(protocol=protocol):
                request = protocol_request(protocol)
                SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION).add_auth(request)
                body = '{"QueueNamePrefix": "x"}' if protocol == "json" else QUERY_BODY + "&QueueNamePrefix=x"
                status, code, _ = send(request.method, request.url, body, request.headers.items())
                self.assertEqual((status, code), (403, "SignatureDoesNotMatch"))

    def test_wrong_service(self):
        self.each_protocol(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sqs'.",
                           auth=SigV4Auth(Credentials(KEY, SECRET), "sns", REGION))

    def test_wrong_region(self):
        self.each_protocol(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region",
                           auth=SigV4Auth(Credentials(KEY, SECRET), "sqs", "us-west-2"))

    def test_session_token_key(self):
        self.each_protocol(200, None, None, auth=SigV4Auth(Credentials(TEMP_KEY, TEMP_SECRET, TEMP_TOKEN), "sqs",
                                                           REGION))
        message = "The security token included in the request is invalid."
        self.each_protocol(403, "InvalidClientTokenId", message,
                           auth=SigV4Auth(Credentials(TEMP_KEY, TEMP_SECRET), "sqs", REGION))
        self.each_protocol(403, "InvalidClientTokenId", message,
                           auth=SigV4Auth(Credentials(TEMP_KEY, TEMP_SECRET, "another-token"), "sqs", REGION))
        self.each_protocol(403, "InvalidClientTokenId", message,
                           auth=LeaveOut("X-Amz-Security-Token", Credentials(TEMP_KEY, TEMP_SECRET, TEMP_TOKEN),
                                         "sqs", REGION))
        # A token on a key that has none.
        self.each_protocol(403, "InvalidClientTokenId", message,
                           auth=SigV4Auth(Credentials(KEY, SECRET, TEMP_TOKEN), "sqs", REGION))

    def test_metrics_need_a_signature_or_the_scrapers_token(self):
        url = ENDPOINT + "/metrics"
        status, code, _ = send("GET", url, "", {})
        self.assertEqual((status, code), (403, "MissingAuthenticationToken"))
        status, code, _ = send("GET", url, "", {"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "x"})
        self.assertIn(status, (400, 403))  # not a signature either: refused as one
        self.assertIsNotNone(code)
        status, _, text = send("GET", url, "", {"Authorization": "Bearer " + METRICS_TOKEN})
        self.assertEqual(status, 200)
        self.assertIn("shmq_", text)
        status, _, _ = send("GET", ENDPOINT + "/health", "", {})
        self.assertEqual(status, 200)

    def test_duplicated_authorization_part(self):
        for protocol in ("json", "query"):
            with self.subTest(protocol=protocol):
                request = protocol_request(protocol)
                SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION).add_auth(request)
                authorization = request.headers["Authorization"]
                request.headers.replace_header("Authorization",
                                               authorization + ", " + authorization.split(", ")[-1])
                status, code, _ = send(request.method, request.url, request.body, request.headers.items())
                self.assertEqual((status, code), (400, "IncompleteSignature"))


def main():
    global SHMQD, WORK_DIR
    SHMQD = sys.argv.pop(1)
    WORK_DIR = tempfile.mkdtemp(prefix="shmq-sigv4-")
    os.makedirs(os.path.join(WORK_DIR, "shm"))
    start_daemon()
    try:
        program = unittest.main(exit=False, verbosity=2)
    finally:
        DAEMON.send_signal(signal.SIGTERM)
        stopped = DAEMON.wait(timeout=60)
        DAEMON.stdout.close()
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    sys.exit(0 if program.result.wasSuccessful() and stopped == 0 else 1)


if __name__ == "__main__":
    main()
