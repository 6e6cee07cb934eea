"""The status of actions created as tracker issues, checked on a schedule (once per period however many workers run)."""

from __future__ import annotations

from datetime import timedelta

from deliveryops.actions.tracker import IssueReach, refresh_all
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.db import unit_of_work
from deliveryops.jobs import JobContext, periodic

__all__ = ["ISSUE_CHECK", "issue_status"]

ISSUE_CHECK = timedelta(minutes=30)


@periodic("actions.issue_status", title="Follow the status of actions created as tracker issues", every=ISSUE_CHECK)
def issue_status(context: JobContext) -> str:
    """Read every linked issue's status; an action whose issue changed takes its status."""
    reach = IssueReach(app_key=context.settings.resolved_secret_key(), hosts=HostPolicy.from_settings(context.settings))
    with unit_of_work(context.session_factory) as session:
        checked, changed = refresh_all(session, reach)
    return f"{checked} issue{'' if checked == 1 else 's'} checked, {changed} changed status."
