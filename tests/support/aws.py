"""AWS fixtures: moto's server on loopback, fake credentials for one test, no real AWS configuration."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _clear_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    # Never read this machine's ~/.aws, and never ask an instance metadata service.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No credentials and no region anywhere; returns the (absent) config file path to write to."""
    _clear_aws_environment(monkeypatch, tmp_path)
    return tmp_path / "aws-config"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and a region, for this test only."""
    _clear_aws_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto as a real HTTP server on 127.0.0.1 (a free port), once per session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(aws_env: None, moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 pointed at the moto server (AWS_ENDPOINT_URL), with its state emptied first."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def endpoint_answers(moto: str) -> Callable[..., None]:
    """Set what moto's InvokeEndpoint answers next: one JSON answer per new request body, in order."""
    def answer_next(*answers: object) -> None:
        results = [{"Body": json.dumps(answer), "ContentType": "application/json"} for answer in answers]
        request = urllib.request.Request(f"{moto}/moto-api/static/sagemaker/endpoint-results", method="POST",
                                         data=json.dumps({"results": results}).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10)

    return answer_next


@pytest.fixture
def make_endpoint(moto: str) -> Callable[..., str]:
    """Make an InService endpoint on moto with these tags (underscores become hyphens); returns its ARN."""
    import boto3

    def made(name: str, **tags: str) -> str:
        sm = boto3.client("sagemaker")
        sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/endpoint",
                        PrimaryContainer={"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1"})
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.xlarge"}])
        tag_list = [{"Key": key.replace("_", "-"), "Value": value} for key, value in tags.items()]
        return sm.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=tag_list)["EndpointArn"]

    return made


def _record_calls(monkeypatch: pytest.MonkeyPatch, event: str, record: Callable[..., None]) -> None:
    """Register `record` for `event` on every client boto3 makes during the test."""
    import boto3

    original = boto3.session.Session.client

    def client(self, service_name: str, *args, **kwargs):
        made = original(self, service_name, *args, **kwargs)
        made.meta.events.register(event, record)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)


@pytest.fixture
def invocations(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The JSON body of every InvokeEndpoint request sent during the test."""
    sent: list[dict] = []
    _record_calls(monkeypatch, "provide-client-params.sagemaker-runtime.InvokeEndpoint",
                  lambda params, **_: sent.append(json.loads(params["Body"])))
    return sent


@pytest.fixture
def aws_actions(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The IAM action of every call sent during the test, e.g. "sagemaker:InvokeEndpoint"."""
    sent: set[str] = set()
    _record_calls(monkeypatch, "provide-client-params",
                  lambda model, **_: sent.add(f"{model.service_model.signing_name}:{model.name}"))
    return sent


@pytest.fixture
def sagemaker_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """"sagemaker:NAME" choices served by cloud.sagemaker, as app.py registers it.

    The loader keeps each endpoint it connected to (its clients, its request format): no test sees another's.
    """
    from cloud import sagemaker
    from models import loader, remote

    monkeypatch.setitem(remote._backends, remote.SAGEMAKER_PREFIX, sagemaker.Endpoint)
    loader.clear()
    yield
    loader.clear()
