"""Instance types the launcher accepts: memory and hourly price of each (as notebook, as endpoint), in one table."""

from __future__ import annotations

from dataclasses import dataclass

from deploy.errors import UsageError

PRICING_URL = "https://aws.amazon.com/sagemaker/ai/pricing/"
STORAGE_USD_PER_GB_MONTH = 0.14  # notebook volumes, until the instance is deleted
# The share of a notebook's memory the app's models may use (PLAYGROUND_MEMORY_BUDGET_MB): the rest is
# for Amazon Linux, Jupyter, the app's own Python with torch and gradio, and the second copy of the
# weights a model briefly holds while it loads. On ml.t3.medium (4 GiB) that leaves 2,048 MB for models:
# bart-large-mnli (1.6 GB) and distilbart (1.2 GB) are then never held together.
MODEL_MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class InstanceType:
    """One SageMaker ML instance type; a price of None means the launcher does not offer it for that use."""

    name: str
    memory_gib: int
    notebook_usd: float | None  # on-demand USD per hour in us-east-1 as a notebook instance
    endpoint_usd: float | None  # on-demand USD per hour in us-east-1 as a real-time endpoint instance

    @property
    def gpu(self) -> bool:
        """GPU families (g4dn, g5, p...) get the GPU build of a container."""
        return self.name.split(".")[1].startswith(("g", "p"))


# The app runs on CPU; a GPU type or two are there for heavier models. Larger types are left out on
# purpose: a typo should not start a $30/hour machine. Other regions' prices differ a little (PRICING_URL).
INSTANCES: dict[str, InstanceType] = {
    instance.name: instance
    for instance in (
        InstanceType("ml.t3.medium", 4, notebook_usd=0.05, endpoint_usd=None),
        InstanceType("ml.t3.large", 8, notebook_usd=0.10, endpoint_usd=None),
        InstanceType("ml.t3.xlarge", 16, notebook_usd=0.20, endpoint_usd=None),
        InstanceType("ml.t2.medium", 4, notebook_usd=None, endpoint_usd=0.056),
        InstanceType("ml.c5.large", 4, notebook_usd=None, endpoint_usd=0.102),
        InstanceType("ml.m5.large", 8, notebook_usd=None, endpoint_usd=0.115),
        InstanceType("ml.c5.xlarge", 8, notebook_usd=0.204, endpoint_usd=0.204),
        InstanceType("ml.m5.xlarge", 16, notebook_usd=0.23, endpoint_usd=0.23),
        InstanceType("ml.m5.2xlarge", 32, notebook_usd=0.461, endpoint_usd=None),
        InstanceType("ml.g4dn.xlarge", 16, notebook_usd=0.7364, endpoint_usd=0.736),
        InstanceType("ml.g5.xlarge", 16, notebook_usd=None, endpoint_usd=1.408),
        InstanceType("ml.g5.2xlarge", 32, notebook_usd=None, endpoint_usd=1.515),
    )
}
NOTEBOOK_TYPES = tuple(name for name, instance in INSTANCES.items() if instance.notebook_usd is not None)
ENDPOINT_TYPES = tuple(name for name, instance in INSTANCES.items() if instance.endpoint_usd is not None)


def notebook_type(name: str) -> InstanceType:
    """A notebook instance type from the allowlist, or a UsageError listing the allowed ones."""
    if name not in NOTEBOOK_TYPES:
        raise UsageError(f"Instance type {name!r} is not in the launcher's allowlist: use one of "
                         f"{', '.join(NOTEBOOK_TYPES)}.")
    return INSTANCES[name]


def endpoint_type(name: str) -> InstanceType:
    """An endpoint instance type from the allowlist, or a UsageError listing the allowed ones."""
    if name not in ENDPOINT_TYPES:
        raise UsageError(f"Instance type {name!r} is not in this project's endpoint allowlist: use one of "
                         f"{', '.join(ENDPOINT_TYPES)}.")
    return INSTANCES[name]


def memory_budget_mb(name: str) -> int | None:
    """PLAYGROUND_MEMORY_BUDGET_MB for the app on a notebook of this type; None for a type not in the table."""
    instance = INSTANCES.get(name)
    return int(instance.memory_gib * 1024 * MODEL_MEMORY_SHARE) if instance else None


def notebook_cost(name: str, instance_type: str, volume_gb: int, idle_minutes: str | int) -> str:
    """The reminder printed on every launch and status: what the notebook costs and how to stop it."""
    hourly = INSTANCES[instance_type].notebook_usd if instance_type in INSTANCES else None
    price = f"about ${hourly:.3f}/hour" if hourly else "see the pricing page"
    idle = (f"it stops itself after {idle_minutes} idle minutes" if str(idle_minutes) not in ("0", "")
            else "idle auto-stop is OFF")
    return (f"Cost: {instance_type} bills {price} while InService (us-east-1 on-demand), plus about "
            f"${volume_gb * STORAGE_USD_PER_GB_MONTH:.2f}/month\n"
            f"      for its {volume_gb} GB volume until deleted; {idle}.\n"
            f"Stop: python sagemaker_launcher.py stop --name {name}    "
            f"Delete: python sagemaker_launcher.py delete --name {name}\n"
            f"Prices: {PRICING_URL}")


def endpoint_cost(instance_type: str, count: int = 1) -> str:
    """What an endpoint costs while it exists (it bills per hour whether or not it is called)."""
    hourly = INSTANCES[instance_type].endpoint_usd if instance_type in INSTANCES else None
    price = f"about ${hourly * count:.3f}/hour (${hourly * count * 24 * 30:,.0f}/month)" if hourly else "see pricing"
    return (f"{count} x {instance_type}: {price} in us-east-1 while the endpoint exists, called or not; "
            f"prices: {PRICING_URL}")
