"""STS over the query protocol: GetCallerIdentity for boto3, errors in STS's XML shape."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def signed(server: LiveServer, method: str, body: str = "", query: str = "") -> tuple[int, bytes]:
    """Send a SigV4-signed STS request exactly as written, for what boto3 cannot send."""
    url = f"{server.url}/" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"} if body else {}
    request = AWSRequest(method=method, url=url, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sts", REGION).add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=prepared.body or None, method=method, headers=dict(prepared.headers)
    )
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_get_caller_identity_names_the_signer(server: LiveServer) -> None:
    identity = server.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"] == "000000000000"
    assert identity["ResponseMetadata"]["RequestId"]


def test_response_is_sts_xml(server: LiveServer) -> None:
    status, body = signed(server, "POST", "Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 200
    root = ElementTree.fromstring(body)
    assert root.tag == f"{NS}GetCallerIdentityResponse"
    assert root.findtext(f"{NS}GetCallerIdentityResult/{NS}Account") == "000000000000"
    assert root.findtext(f"{NS}ResponseMetadata/{NS}RequestId")
    # The query protocol also allows the pairs in a GET's query string.
    status, body = signed(server, "GET", query="Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 200 and b"arn:aws:iam::000000000000:root" in body


def test_wrong_secret_is_a_403_in_sts_shape(server: LiveServer) -> None:
    client = server.client("sts", aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"]
    assert caught.value.response["Error"]["Type"] == "Sender"


def test_unknown_and_missing_actions(server: LiveServer) -> None:
    for body in (
        "Action=NoSuchThing&Version=2011-06-15",
        "Version=2011-06-15",
        "Action=GetCallerIdentity&Version=1999",
    ):
        status, answer = signed(server, "POST", body)
        assert status == 400, body
        root = ElementTree.fromstring(answer)
        assert root.findtext(f"{NS}Error/{NS}Code") == "InvalidAction"
        assert root.findtext(f"{NS}RequestId")


def test_nested_parameters_are_decoded_and_validated(server: LiveServer) -> None:
    sts: Any = server.client("sts")
    # Invalid members are named as AWS names them: proof the flattened form was read per the model.
    with pytest.raises(ClientError) as caught:
        sts.assume_role(
            RoleArn="arn:aws:iam::000000000000:role/r",
            RoleSessionName="bad session name!",
            Tags=[{"Key": "k", "Value": "v"}],
        )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "roleSessionName" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        sts.assume_role(
            RoleArn="arn:aws:iam::000000000000:role/r",
            RoleSessionName="ok",
            Tags=[{"Key": "k", "Value": "v" * 300}],
        )
    assert "tags.1.member.value" in caught.value.response["Error"]["Message"]
    # Valid but not served: a clear 501 naming the operation, never a 500.
    with pytest.raises(ClientError) as caught:
        sts.assume_role(
            RoleArn="arn:aws:iam::000000000000:role/r",
            RoleSessionName="ok",
            Tags=[{"Key": "k", "Value": "v"}],
            DurationSeconds=900,
        )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "AssumeRole" in caught.value.response["Error"]["Message"]
