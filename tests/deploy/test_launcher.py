"""The launcher's commands against moto's server on loopback: launch, reuse, stop, delete, endpoints, what it
sends, what it refuses, and that every command it prints works."""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
from types import SimpleNamespace

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

import config
import sagemaker_launcher as launcher
import state
from deploy import cli, lifecycle, notebooks
from deploy.context import Context
from models.tasks import generate

pytest_plugins = ["tests.support.aws"]

ROLE_ARN = "arn:aws:iam::123456789012:role/playground-notebook"
MOTO_IDENTITY = "arn:aws:sts::123456789012:user/moto"  # what moto's sts get_caller_identity answers
SOURCE = "https://github.com/example/transformers-playground.git"
PRESIGNED = "https://demo.notebook.us-east-1.sagemaker.aws?authToken=abc"
LAUNCH = ["launch", "--name", "demo", "--role-arn", ROLE_ARN, "--source-url", SOURCE]
SMALL_HUB_DOCUMENT = {"HostingEcrUri": "1.dkr.ecr.us-east-1.amazonaws.com/hf:1",
                      "HostingArtifactUri": "s3://b/gpt2.tar.gz", "DefaultInferenceInstanceType": "ml.m5.xlarge"}


class Recorder:
    """A boto3 session that records every request it sends (moto forgets some fields, e.g. IMDSv2).

    moto has no CreatePresignedNotebookInstanceUrl, so that one call is answered here.
    """

    def __init__(self, presign_error: str | None = None) -> None:
        self.session = boto3.Session(region_name="us-east-1")
        self.requests: list[tuple[str, dict]] = []
        self.presign_error = presign_error
        self.session.events.register("provide-client-params.sagemaker", self._record)
        self.session.events.register("before-call.sagemaker.CreatePresignedNotebookInstanceUrl", self._presign)

    def _record(self, params: dict, model, **_) -> None:
        self.requests.append((model.name, json.loads(json.dumps(params, default=str))))

    def _presign(self, **_) -> tuple:
        if self.presign_error:
            return AWSResponse(PRESIGNED, 400, {}, None), {"Error": {"Code": self.presign_error, "Message": "no"}}
        return AWSResponse(PRESIGNED, 200, {}, None), {"AuthorizedUrl": PRESIGNED}

    def answer_hub(self, document: dict, version: str) -> None:
        """Answer DescribeHubContent (moto has none) with this JumpStart model document."""
        answer = {"HubContentDocument": json.dumps(document), "HubContentVersion": version}
        self.session.events.register("before-call.sagemaker.DescribeHubContent",
                                     lambda **_: (AWSResponse("", 200, {}, None), answer))

    def calls(self, operation: str) -> list[dict]:
        return [params for name, params in self.requests if name == operation]

    def run(self, *argv: str) -> int:
        return launcher.main(list(argv), session=self.session)


def sagemaker():
    return boto3.client("sagemaker", region_name="us-east-1")


def test_launch_creates_once_and_reuses(moto, capsys):
    recorder = Recorder()
    assert recorder.run(*LAUNCH) == 0
    first = capsys.readouterr().out
    assert recorder.run(*LAUNCH) == 0
    second = capsys.readouterr().out

    instances = sagemaker().list_notebook_instances()["NotebookInstances"]
    assert [(i["NotebookInstanceName"], i["NotebookInstanceStatus"]) for i in instances] == [("demo", "InService")]
    assert len(recorder.calls("CreateNotebookInstance")) == 1
    assert len(recorder.calls("CreateNotebookInstanceLifecycleConfig")) == 1
    assert "created notebook instance demo" in first
    assert "already exists (InService); nothing created" in second
    assert "lifecycle config demo-playground is up to date" in second
    for out in (first, second):  # URLs and the cost reminder, every time
        assert "https://demo.notebook.us-east-1.sagemaker.aws/proxy/7860/" in out
        assert PRESIGNED in out
        assert "ml.t3.medium bills about $0.050/hour" in out
        assert "python sagemaker_launcher.py stop --name demo" in out


def test_launch_request_is_safe_by_default(moto):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait") == 0
    (request,) = recorder.calls("CreateNotebookInstance")
    assert request["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert request["RootAccess"] == "Disabled"
    assert request["InstanceType"] == "ml.t3.medium"
    assert request["LifecycleConfigName"] == "demo-playground"
    assert request["PlatformIdentifier"] == notebooks.PLATFORM
    tags = {tag["Key"]: tag["Value"] for tag in request["Tags"]}
    assert tags == {"app": "transformers-playground", "owner": MOTO_IDENTITY, "idle-stop-minutes": "60"}
    # What moto keeps agrees with what was sent.
    described = sagemaker().describe_notebook_instance(NotebookInstanceName="demo")
    assert described["RootAccess"] == "Disabled"
    assert described["RoleArn"] == ROLE_ARN


def test_lifecycle_script_fits_and_carries_the_launch_settings(moto, tmp_path):
    """What the script does on the instance is tested by running it (test_scripts.py); here: what is sent."""
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait", "--idle-minutes", "45") == 0
    (request,) = recorder.calls("CreateNotebookInstanceLifecycleConfig")
    (content,) = [item["Content"] for item in request["OnStart"]]
    assert len(content) <= lifecycle.LIFECYCLE_LIMIT
    script = base64.b64decode(content).decode()
    assert script == lifecycle.on_start_script(SOURCE, "", 45, 2048)  # 2,048 MB: half of ml.t3.medium's 4 GiB
    assert f"export PLAYGROUND_SOURCE={SOURCE} PLAYGROUND_REF='' IDLE_MINUTES=45 MEMORY_BUDGET_MB=2048" in script
    (tmp_path / "on-start.sh").write_text(script)
    assert subprocess.run(["bash", "-n", str(tmp_path / "on-start.sh")]).returncode == 0


@pytest.mark.parametrize("argv, budget", [
    (["--instance-type", "ml.m5.xlarge"], "MEMORY_BUDGET_MB=8192"),  # 16 GiB
    (["--memory-budget-mb", "3000"], "MEMORY_BUDGET_MB=3000"),  # the operator's own figure wins
])
def test_the_memory_budget_follows_the_instance_type_unless_given(moto, argv, budget):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait", *argv) == 0
    (request,) = recorder.calls("CreateNotebookInstanceLifecycleConfig")
    assert budget in base64.b64decode(request["OnStart"][0]["Content"]).decode()


def test_stop_and_delete_are_safe_to_repeat(moto, capsys):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait") == 0
    assert recorder.run("stop", "--name", "demo") == 0
    assert sagemaker().describe_notebook_instance(NotebookInstanceName="demo")["NotebookInstanceStatus"] == "Stopped"
    assert recorder.run("stop", "--name", "demo") == 0
    assert "already Stopped" in capsys.readouterr().out

    assert recorder.run("delete", "--name", "demo") == 0
    assert sagemaker().list_notebook_instances()["NotebookInstances"] == []
    out = capsys.readouterr().out
    assert "deleted lifecycle config demo-playground" in out
    assert recorder.run("delete", "--name", "demo") == 0
    assert recorder.run("stop", "--name", "demo") == 0
    out = capsys.readouterr().out
    assert "nothing to delete" in out and "nothing to stop" in out
    assert len(recorder.calls("DeleteNotebookInstance")) == 1


def test_delete_stops_a_running_instance_first(moto):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait") == 0
    assert recorder.run("delete", "--name", "demo") == 0
    order = [name for name, _ in recorder.requests if name in ("StopNotebookInstance", "DeleteNotebookInstance")]
    assert order == ["StopNotebookInstance", "DeleteNotebookInstance"]


def test_launch_starts_a_stopped_instance_without_creating(moto, capsys):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait") == 0
    assert recorder.run("stop", "--name", "demo") == 0
    assert recorder.run(*LAUNCH) == 0
    assert "started the existing notebook instance demo" in capsys.readouterr().out
    assert sagemaker().describe_notebook_instance(NotebookInstanceName="demo")["NotebookInstanceStatus"] == "InService"
    assert len(recorder.calls("CreateNotebookInstance")) == 1
    assert len(recorder.calls("StartNotebookInstance")) == 1


def test_relaunch_with_new_settings_updates_the_script_for_the_next_start(moto, capsys):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--no-wait") == 0
    # moto has no UpdateNotebookInstanceLifecycleConfig: record it and answer here.
    recorder.session.events.register("before-call.sagemaker.UpdateNotebookInstanceLifecycleConfig",
                                     lambda **_: (AWSResponse("", 200, {}, None), {}))
    assert recorder.run(*LAUNCH, "--no-wait", "--idle-minutes", "30") == 0
    (update,) = recorder.calls("UpdateNotebookInstanceLifecycleConfig")
    assert "IDLE_MINUTES=30" in base64.b64decode(update["OnStart"][0]["Content"]).decode()
    assert "updated lifecycle config demo-playground (used from the next start)" in capsys.readouterr().out
    assert recorder.run("status", "--name", "demo") == 0
    assert "after 30 idle minutes" in capsys.readouterr().out


def test_status_reminds_of_the_cost(moto, capsys):
    recorder = Recorder()
    assert recorder.run("status", "--name", "demo") == 0
    assert "No notebook instance named demo" in capsys.readouterr().out
    assert recorder.run(*LAUNCH, "--no-wait", "--instance-type", "ml.t3.large") == 0
    capsys.readouterr()
    assert recorder.run("status", "--name", "demo") == 0
    out = capsys.readouterr().out
    assert "demo: InService (ml.t3.large" in out
    assert "about $0.100/hour" in out and "after 60 idle minutes" in out


def test_launch_without_a_sign_in_link_still_prints_the_app_url(moto, capsys):
    recorder = Recorder(presign_error="AccessDeniedException")
    assert recorder.run(*LAUNCH) == 0
    out = capsys.readouterr().out
    assert "proxy/7860/" in out and "no sign-in link: AccessDeniedException" in out


def test_url_prints_sign_in_link_and_proxy_url(capsys):
    client = boto3.client("sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    described = {"NotebookInstanceName": "demo",
                 "NotebookInstanceArn": "arn:aws:sagemaker:eu-west-1:1:notebook-instance/demo",
                 "NotebookInstanceStatus": "InService", "Url": "demo.notebook.eu-west-1.sagemaker.aws",
                 "InstanceType": "ml.t3.medium"}
    with Stubber(client) as stub:
        stub.add_response("describe_notebook_instance", described, {"NotebookInstanceName": "demo"})
        stub.add_response("describe_notebook_instance", described, {"NotebookInstanceName": "demo"})
        stub.add_response("create_presigned_notebook_instance_url", {"AuthorizedUrl": PRESIGNED},
                          {"NotebookInstanceName": "demo", "SessionExpirationDurationInSeconds": 3600})
        ctx = Context(client, "eu-west-1", lambda: "me", dry_run=False, wait=True)
        assert notebooks.cmd_url(SimpleNamespace(name="demo"), ctx) == 0
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "App: https://demo.notebook.eu-west-1.sagemaker.aws/proxy/7860/" in out
    assert f"valid 5 minutes; do not share it): {PRESIGNED}" in out


def test_url_of_a_missing_instance_fails(moto, capsys):
    assert Recorder().run("url", "--name", "demo") == 1
    assert "does not exist" in capsys.readouterr().out


def test_dry_run_prints_requests_and_changes_nothing(moto, capsys):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, "--dry-run") == 0
    out = capsys.readouterr().out
    assert sagemaker().list_notebook_instances()["NotebookInstances"] == []
    assert recorder.calls("CreateNotebookInstance") == []
    assert "[dry-run] would call sagemaker.create_notebook_instance with:" in out
    assert '"MinimumInstanceMetadataServiceVersion": "2"' in out and '"RootAccess": "Disabled"' in out
    assert "# Transformers Playground on-start script" in out  # the decoded script is shown too
    assert "[dry-run, not sent] created notebook instance demo" in out


@pytest.mark.parametrize("argv, message", [
    (["--instance-type", "ml.p4d.24xlarge"], "not in the launcher's allowlist"),
    (["--source-url", "https://user:token@github.com/x/y.git"], "contains credentials"),
    (["--source-url", "git@github.com:x/y.git"], "must be an https git URL"),
    (["--idle-minutes", "-5"], "--idle-minutes must be 0"),
    (["--memory-budget-mb", "0"], "--memory-budget-mb must be 1 or more"),
])
def test_launch_refuses_bad_input_before_sending_anything(moto, capsys, argv, message):
    recorder = Recorder()
    assert recorder.run(*LAUNCH, *argv) == 2
    assert message in capsys.readouterr().err
    assert [name for name, _ in recorder.requests if not name.startswith(("Describe", "List"))] == []


def test_launch_without_a_role_creates_nothing(moto, capsys):
    recorder = Recorder()
    assert recorder.run("launch", "--name", "demo", "--source-url", SOURCE) == 2
    assert "--role-arn is required" in capsys.readouterr().err
    assert recorder.calls("CreateNotebookInstanceLifecycleConfig") == []
    assert sagemaker().list_notebook_instances()["NotebookInstances"] == []


def test_instances_it_did_not_make_are_left_alone(moto, capsys):
    sagemaker().create_notebook_instance(NotebookInstanceName="theirs", InstanceType="ml.t3.medium", RoleArn=ROLE_ARN)
    recorder = Recorder()
    for command in ("stop", "delete"):
        assert recorder.run(command, "--name", "theirs") == 2
        assert "was not made by this launcher" in capsys.readouterr().err
    theirs = sagemaker().describe_notebook_instance(NotebookInstanceName="theirs")
    assert theirs["NotebookInstanceStatus"] == "InService"


def test_no_credentials_is_one_clear_line(no_aws, monkeypatch, capsys):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert launcher.main(["status", "--name", "demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No AWS credentials found.") and "Traceback" not in err


def test_ssh_origin_becomes_an_https_url(monkeypatch):
    def fake_run(*args, **kwargs):
        return SimpleNamespace(stdout="git@github.com:example/transformers-playground.git\n")

    monkeypatch.setattr(lifecycle.subprocess, "run", fake_run)
    assert lifecycle.default_source(notebooks.ROOT) == "https://github.com/example/transformers-playground.git"


# ---- endpoint commands --------------------------------------------------------------------------

def test_endpoint_deploy_list_delete(moto, capsys):
    recorder = Recorder()
    deploy = ["endpoint-deploy", "--name", "sst2", "--task", "sentiment", "--role-arn", ROLE_ARN]
    assert recorder.run(*deploy) == 0
    out = capsys.readouterr().out
    assert "Use it: python app.py --model sentiment=sagemaker:sst2" in out and "$0.230/hour" in out
    (model,) = recorder.calls("CreateModel")
    assert model["PrimaryContainer"]["Environment"] == {
        "HF_MODEL_ID": "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "HF_TASK": "text-classification"}
    assert "huggingface-pytorch-inference:" in model["PrimaryContainer"]["Image"]

    assert recorder.run(*deploy) == 0  # again: nothing new
    assert "already exists (InService); nothing created" in capsys.readouterr().out
    assert len(recorder.calls("CreateEndpoint")) == 1

    assert recorder.run("endpoint-list") == 0
    assert "sst2: InService (this app); 1 x ml.m5.xlarge" in capsys.readouterr().out

    assert recorder.run("endpoint-delete", "--name", "sst2") == 0
    assert "deleted endpoint sst2" in capsys.readouterr().out
    assert sagemaker().list_endpoints()["Endpoints"] == []
    assert recorder.run("endpoint-delete", "--name", "sst2") == 0
    assert "nothing to delete" in capsys.readouterr().out


def test_endpoint_deploy_refuses_unknown_task_and_big_instances(moto, capsys):
    recorder = Recorder()
    base = ["endpoint-deploy", "--name", "e1", "--role-arn", ROLE_ARN]
    assert recorder.run(*base, "--task", "encoder") == 2
    assert recorder.run(*base, "--task", "generate", "--instance-type", "ml.p5.48xlarge") == 2
    err = capsys.readouterr().err
    assert "cannot be deployed" in err and "endpoint allowlist" in err
    assert recorder.calls("CreateModel") == []


def test_jumpstart_deploy(moto, capsys):
    document = {
        "HostingEcrUri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4",
        "HostingArtifactUri": "s3://jumpstart-cache-prod-us-east-1/huggingface-textgeneration/gpt2/artifacts/",
        "HostingArtifactS3DataType": "S3Prefix", "HostingArtifactCompressionType": "None",
        "DefaultInferenceInstanceType": "ml.g5.xlarge",
        "SupportedInferenceInstanceTypes": ["ml.g5.xlarge", "ml.m5.xlarge"],
        "InferenceEnvironmentVariables": [
            {"Name": "SAGEMAKER_PROGRAM", "Default": "inference.py", "Scope": "container"},
            {"Name": "HF_MODEL_ID", "Default": "/opt/ml/model", "Scope": "container"},
        ],
        "InferenceEnableNetworkIsolation": True,
    }
    recorder = Recorder()
    recorder.answer_hub(document, "3.0.6")
    assert recorder.run("jumpstart-deploy", "--name", "gpt2", "--role-arn", ROLE_ARN,
                        "--instance-type", "ml.m5.xlarge") == 0
    assert "Use it: python app.py --model generate=sagemaker:gpt2" in capsys.readouterr().out
    (model,) = recorder.calls("CreateModel")
    container = model["PrimaryContainer"]
    assert container["Image"] == document["HostingEcrUri"]
    assert container["ModelDataSource"]["S3DataSource"]["S3Uri"] == document["HostingArtifactUri"]
    assert container["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py", "HF_MODEL_ID": "/opt/ml/model"}
    assert model["EnableNetworkIsolation"] is True
    tags = {tag["Key"]: tag["Value"] for tag in model["Tags"]}
    assert tags["jumpstart-model"] == "huggingface-textgeneration-gpt2" and tags["jumpstart-version"] == "3.0.6"
    assert sagemaker().describe_endpoint(EndpointName="gpt2")["EndpointStatus"] == "InService"


def test_runs_standalone_with_only_boto3():
    code = ("import sys, sagemaker_launcher; heavy = {'gradio', 'torch', 'transformers'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=notebooks.ROOT, check=True, timeout=60)


def test_the_shipped_iam_policies_allow_every_call_the_launcher_makes(moto):
    recorder = Recorder()
    recorder.answer_hub(SMALL_HUB_DOCUMENT, "1.0.0")
    commands = [LAUNCH, ["status", "--name", "demo"], ["stop", "--name", "demo"], LAUNCH, ["url", "--name", "demo"],
                ["delete", "--name", "demo"],
                ["endpoint-deploy", "--name", "e", "--task", "ner", "--role-arn", ROLE_ARN],
                ["endpoint-list"], ["endpoint-delete", "--name", "e"],
                ["jumpstart-deploy", "--name", "j", "--role-arn", ROLE_ARN]]
    for argv in commands:
        assert recorder.run(*argv) == 0, argv
    allowed = set()
    for name in ("launcher-notebooks.json", "launcher-endpoints.json"):
        for statement in json.loads((notebooks.ROOT / "assets" / "iam" / name).read_text())["Statement"]:
            actions = statement["Action"]
            allowed.update([actions] if isinstance(actions, str) else actions)
    called = {f"sagemaker:{operation}" for operation, _ in recorder.requests}
    assert called - allowed == set()
    assert {"sagemaker:CreateNotebookInstance", "sagemaker:DescribeHubContent"} <= called


# ---- what the launcher prints ---------------------------------------------------------------------

PRINTED_COMMAND = re.compile(r"python ((?:app|sagemaker_launcher)\.py(?: [^\s`]+)*)")


def test_every_command_the_launcher_prints_works(moto, capsys, monkeypatch, sagemaker_backend, offline_pack,
                                                 endpoint_answers, invocations):
    """Launcher commands parse with the launcher; app commands parse with the app's config, and the generate
    ones reach the endpoint they name, in the request format its container takes."""
    recorder = Recorder()
    recorder.answer_hub(SMALL_HUB_DOCUMENT, "1.0.0")
    runs = [["status", "--name", "demo"], ["url", "--name", "demo"], LAUNCH, ["status", "--name", "demo"],
            ["endpoint-deploy", "--name", "printed-hf", "--task", "generate", "--role-arn", ROLE_ARN],
            ["endpoint-deploy", "--name", "sst2", "--task", "sentiment", "--role-arn", ROLE_ARN],
            ["jumpstart-deploy", "--name", "printed-js", "--role-arn", ROLE_ARN]]
    for argv in runs:
        recorder.run(*argv)
    printed = set(PRINTED_COMMAND.findall(capsys.readouterr().out))
    launcher_commands = sorted(command for command in printed if command.startswith("sagemaker_launcher.py"))
    assert {shlex.split(command)[1] for command in launcher_commands} == {"launch", "stop", "delete",
                                                                          "endpoint-delete"}
    for command in launcher_commands:
        cli.parse_args(shlex.split(command)[1:])
    app_commands = sorted(command for command in printed if command.startswith("app.py"))
    assert app_commands == ["app.py --model generate=sagemaker:printed-hf",
                            "app.py --model generate=sagemaker:printed-js", "app.py --model sentiment=sagemaker:sst2"]
    for command in app_commands:
        settings = config.load_settings(shlex.split(command)[1:], environ={})
        monkeypatch.setattr(state, "settings", settings)
        task, choice = next(iter(settings.model_overrides.items()))
        if task == "generate":
            endpoint_answers([{"generated_text": "Hello there"}])
            assert generate.generate("Hello", generate.GenerationSettings(max_new_tokens=2), choice) == [
                "Hello there"]
    assert invocations == [  # printed-hf: the Hugging Face container; printed-js: JumpStart's script
        {"inputs": "Hello", "parameters": {"max_new_tokens": 2, "do_sample": True, "temperature": 1.0,
                                           "top_k": 50, "top_p": 1.0, "return_full_text": True}},
        {"text_inputs": "Hello", "max_length": 1 + 2, "do_sample": True, "temperature": 1.0, "top_k": 50,
         "top_p": 1.0, "seed": 0},
    ]
