"""Workers: the processes that run background jobs, and the one place that imports every module declaring jobs.

It sits above the domains whose jobs it runs, so that none of them imports another to start its work.
"""

from __future__ import annotations

import importlib

__all__ = ["JOB_MODULES", "load_jobs"]

# Every module that declares jobs (``@job`` / ``@periodic``); a worker imports them all before it consumes.
JOB_MODULES: list[str] = [
    "deliveryops.sync.jobs",  # connector syncs, and the periodic job that starts the scheduled ones
    "deliveryops.cockpit.digest.jobs",  # the weekly digests
    "deliveryops.impediments.jobs",  # cross-team cluster proposals
    "deliveryops.work.jobs",  # large work-item imports
    "deliveryops.dora.jobs",  # the stored DORA tables
    "deliveryops.cockpit.portfolio.jobs",  # the portfolio's stored team rows
    "deliveryops.cockpit.rollouts.stored",  # the stored rollout reports
    "deliveryops.enablement.stored",  # the stored verdicts of organisation-level actions
    "deliveryops.dora.import_jobs",  # large DORA imports (deployments, changes, incidents)
    "deliveryops.experiments.jobs",  # large experiment statistics imports
    "deliveryops.dependencies.jobs",  # dependencies found in the data, after it changed
    "deliveryops.dependencies.risk_jobs",  # the chance of delivery of dependencies
    "deliveryops.actions.jobs",  # the status of actions created as tracker issues
    "deliveryops.notify.jobs",  # Slack and Microsoft Teams messages
]


def load_jobs() -> None:
    """Import every module that declares jobs, so a worker can run any job it is handed."""
    for module in JOB_MODULES:
        importlib.import_module(module)
