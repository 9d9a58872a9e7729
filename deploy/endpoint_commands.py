"""The endpoint commands: deploy a task (Hugging Face container or JumpStart), list endpoints, delete one."""

from __future__ import annotations

import argparse

from deploy import endpoints, instances, jumpstart
from deploy.context import Context
from deploy.errors import UsageError
from models.registry import spec


def registry_default(task: str) -> str:
    """The app registry's default checkpoint for a task."""
    try:
        return spec(task).checkpoints[0]
    except KeyError:
        raise UsageError(f"Unknown task {task!r}; use one of {', '.join(endpoints.HF_TASKS)}.") from None


def require_role(args: argparse.Namespace) -> str:
    if not args.role_arn:
        raise UsageError("--role-arn is required: the IAM role the endpoint runs as (docs/aws.md, Endpoints).")
    return args.role_arn


def cmd_endpoint_deploy(args: argparse.Namespace, ctx: Context) -> int:
    if not args.task:
        raise UsageError(f"--task is required: one of {', '.join(endpoints.HF_TASKS)}.")
    instance_type = args.instance_type or endpoints.DEFAULT_INSTANCE_TYPE
    plan = endpoints.huggingface_plan(args.name, args.task, args.model_id or registry_default(args.task),
                                      require_role(args), ctx.region, instance_type, args.image_uri,
                                      args.revision, owner=ctx.owner())
    return run_deploy(ctx, plan, args.task)


def cmd_jumpstart_deploy(args: argparse.Namespace, ctx: Context) -> int:
    model_id = args.model_id or jumpstart.DEFAULT_MODEL_ID
    document, version = jumpstart.describe(ctx.sm, model_id, args.model_version)
    plan = jumpstart.plan(args.name, model_id, document, version, require_role(args), args.instance_type,
                          args.image_uri, args.accept_eula, owner=ctx.owner())
    return run_deploy(ctx, plan, "generate")


def run_deploy(ctx: Context, plan: endpoints.EndpointPlan, task: str) -> int:
    print(f"deploying {plan.summary} to endpoint {plan.name} on {plan.instance_type} in {ctx.region}")
    for change in endpoints.deploy(ctx.sm, plan, wait=ctx.wait):
        ctx.report(change)
    print(f"Use it: python app.py --model {task}=sagemaker:{plan.name}")
    print(f"Cost: {instances.endpoint_cost(plan.instance_type)}. "
          f"Delete: python sagemaker_launcher.py endpoint-delete --name {plan.name}")
    return 0


def cmd_endpoint_list(args: argparse.Namespace, ctx: Context) -> int:
    rows = endpoints.list_endpoints(ctx.sm)
    if not rows:
        print(f"No SageMaker endpoints in {ctx.region}.")
    for row in rows:
        mark = "this app" if row["ours"] else "not this app's"
        print(f"{row['name']}: {row['status']} ({mark}); {row['cost']}")
    return 0


def cmd_endpoint_delete(args: argparse.Namespace, ctx: Context) -> int:
    done = endpoints.delete(ctx.sm, args.name, force=args.force)
    for change in done:
        ctx.report(change)
    if not done:
        print(f"No endpoint, config or model named {args.name} in {ctx.region}; nothing to delete.")
    return 0
