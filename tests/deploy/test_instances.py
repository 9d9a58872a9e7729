"""The one instance table: what the launcher allows, the memory budget it passes, what it says things cost."""

from __future__ import annotations

import pytest

from deploy import instances
from deploy.errors import UsageError


@pytest.mark.parametrize("name, budget", [("ml.t3.medium", 2048), ("ml.t3.large", 4096), ("ml.m5.2xlarge", 16384),
                                          ("ml.p4d.24xlarge", None)])
def test_the_memory_budget_is_half_the_instance_s_memory(name, budget):
    assert instances.memory_budget_mb(name) == budget


def test_notebook_and_endpoint_allowlists_come_from_the_table():
    assert instances.NOTEBOOK_TYPES == ("ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.c5.xlarge", "ml.m5.xlarge",
                                        "ml.m5.2xlarge", "ml.g4dn.xlarge")
    assert instances.ENDPOINT_TYPES == ("ml.t2.medium", "ml.c5.large", "ml.m5.large", "ml.c5.xlarge", "ml.m5.xlarge",
                                        "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g5.2xlarge")
    assert [name for name, instance in instances.INSTANCES.items() if instance.gpu] == [
        "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g5.2xlarge"]


def test_a_type_outside_an_allowlist_is_refused_with_the_list():
    with pytest.raises(UsageError, match="not in the launcher's allowlist: use one of ml.t3.medium"):
        instances.notebook_type("ml.g5.xlarge")  # an endpoint type, not a notebook one
    with pytest.raises(UsageError, match="endpoint allowlist: use one of ml.t2.medium"):
        instances.endpoint_type("ml.t3.medium")


def test_costs_say_what_bills_and_for_how_long():
    assert instances.endpoint_cost("ml.m5.xlarge", 2).startswith("2 x ml.m5.xlarge: about $0.460/hour ($331/month)")
    assert instances.endpoint_cost("ml.inf2.xlarge").startswith("1 x ml.inf2.xlarge: see pricing")
    note = instances.notebook_cost("demo", "ml.t3.medium", 20, 0)
    assert "ml.t3.medium bills about $0.050/hour" in note and "$2.80/month" in note
    assert "idle auto-stop is OFF" in note and "python sagemaker_launcher.py stop --name demo" in note
