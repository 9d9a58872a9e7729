"""The launcher's command line: one subcommand per task, each with its own flags; errors as one clear line."""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, WaiterError

from cloud import aws
from deploy import endpoint_commands, endpoints, jumpstart, lifecycle, notebooks
from deploy.context import make_context
from deploy.errors import DeployError, UsageError
from deploy.instances import ENDPOINT_TYPES, NOTEBOOK_TYPES
from deploy.resources import check_name

NOTEBOOK_COMMANDS = ("launch", "status", "url", "stop", "delete")
NOTEBOOK_NAME_CHARS = 63 - len(lifecycle.lifecycle_name(""))  # the lifecycle config's name must fit in 63 too


def build_parser() -> argparse.ArgumentParser:
    """`launch`, `status`, `url`, `stop`, `delete` for notebook instances; `endpoint-deploy`, `endpoint-list`,
    `endpoint-delete`, `jumpstart-deploy` for endpoints."""
    parser = argparse.ArgumentParser(
        prog="sagemaker_launcher.py",
        description="Run Transformers Playground on a SageMaker notebook instance, and deploy its models to "
                    "SageMaker endpoints. Uses boto3's own configuration (profiles, AWS_DEFAULT_REGION, "
                    "AWS_ENDPOINT_URL).")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--region", help="AWS region (default: boto3's configuration)")
    common.add_argument("--dry-run", action="store_true",
                        help="read the current state, print the requests that would change it, send none of them")
    common.add_argument("--no-wait", action="store_true", help="return without waiting for the new state")
    common.add_argument("--owner", help="value of the owner tag (default: your IAM identity's ARN)")
    named = argparse.ArgumentParser(add_help=False, parents=[common])
    named.add_argument("--name", required=True, help="notebook instance or endpoint name (letters, digits, hyphens)")
    deploying = argparse.ArgumentParser(add_help=False, parents=[named])
    deploying.add_argument("--role-arn", help="IAM role the notebook instance or endpoint runs as")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run, parent: argparse.ArgumentParser, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[parent], help=summary, description=summary)
        sub.set_defaults(run=run)
        return sub

    launch = command("launch", notebooks.cmd_launch, deploying,
                     "create (or start) the notebook instance that serves the app at /proxy/7860/")
    launch.add_argument("--instance-type", default=notebooks.DEFAULT_INSTANCE_TYPE,
                        help=f"one of {', '.join(NOTEBOOK_TYPES)} (default {notebooks.DEFAULT_INSTANCE_TYPE})")
    launch.add_argument("--source-url", help="https git URL or s3:// tarball the notebook installs the app from "
                                             "(default: this clone's origin remote)")
    launch.add_argument("--source-ref", default="", help="git branch or tag to clone (default: the default branch)")
    launch.add_argument("--volume-gb", type=int, default=notebooks.DEFAULT_VOLUME_GB)
    launch.add_argument("--idle-minutes", type=int, default=notebooks.DEFAULT_IDLE_MINUTES,
                        help="stop the instance after this many idle minutes (0: never)")
    launch.add_argument("--memory-budget-mb", type=int,
                        help="PLAYGROUND_MEMORY_BUDGET_MB for the app (default: half the instance type's memory)")
    command("status", notebooks.cmd_status, named, "the notebook instance's state, app URL and cost")
    command("url", notebooks.cmd_url, named, "a fresh sign-in link, then the app's URL")
    command("stop", notebooks.cmd_stop, named, "stop the notebook instance (compute billing ends)")
    command("delete", notebooks.cmd_delete, named, "stop, then delete the notebook instance, its disk and config")

    deploy = command("endpoint-deploy", endpoint_commands.cmd_endpoint_deploy, deploying,
                     "serve one task's Hub checkpoint from an endpoint (the Hugging Face inference container)")
    deploy.add_argument("--task", help=f"app task to serve: {', '.join(endpoints.HF_TASKS)}")
    deploy.add_argument("--model-id", help="Hub model id (default: the registry's)")
    deploy.add_argument("--revision", help="Hub revision (commit, branch or tag) to serve")
    start = command("jumpstart-deploy", endpoint_commands.cmd_jumpstart_deploy, deploying,
                    "serve a JumpStart model from an endpoint (text generation)")
    start.add_argument("--model-id", help=f"JumpStart model id (default: {jumpstart.DEFAULT_MODEL_ID})")
    start.add_argument("--model-version", help="JumpStart model version (default: the newest)")
    start.add_argument("--accept-eula", action="store_true", help="accept a JumpStart model's licence")
    for sub in (deploy, start):
        sub.add_argument("--instance-type", help=f"one of {', '.join(ENDPOINT_TYPES)} (default "
                                                 f"{endpoints.DEFAULT_INSTANCE_TYPE}; JumpStart: the model's own)")
        sub.add_argument("--image-uri", help="container image to use instead of the default one")
    command("endpoint-list", endpoint_commands.cmd_endpoint_list, common,
            "every endpoint in the region: state, cost, and whether this app made it")
    delete = command("endpoint-delete", endpoint_commands.cmd_endpoint_delete, named,
                     "delete an endpoint with its config and model")
    delete.add_argument("--force", action="store_true", help="also delete an endpoint this app did not create")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with its names checked (argparse exits with code 2 on unknown commands or flags)."""
    args = build_parser().parse_args(argv)
    if args.command != "endpoint-list":
        check_name(args.name)
    if args.command in NOTEBOOK_COMMANDS and len(args.name) > NOTEBOOK_NAME_CHARS:
        raise UsageError(f"A notebook instance name can have at most {NOTEBOOK_NAME_CHARS} characters (its "
                         "lifecycle config adds \"-playground\").")
    return args


def main(argv: list[str] | None = None, session: boto3.Session | None = None) -> int:
    """Run one command; errors become one clear line on stderr and a non-zero exit code."""
    try:
        args = parse_args(argv)
        return args.run(args, make_context(args, session))
    except UsageError as exc:
        return fail(str(exc), 2)
    except DeployError as exc:
        return fail(str(exc), 1)
    except NoCredentialsError:
        return fail(aws.NO_CREDENTIALS, 1)
    except NoRegionError:
        return fail(aws.NO_REGION + " Or pass --region.", 1)
    except ClientError as exc:
        return fail(f"AWS refused: {aws.error_code(exc)}: {aws.error_message(exc)}", 1)
    except (WaiterError, BotoCoreError) as exc:
        return fail(str(exc), 1)


def fail(message: str, code: int) -> int:
    """Print `message` as the command's one error line; `code` is the exit code."""
    print(f"error: {message}", file=sys.stderr)
    return code
