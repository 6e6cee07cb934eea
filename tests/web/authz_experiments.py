"""Authorisation expectations for the experiments routes (see ``authz_roles`` for the contract).

Reading: the team's people, Product Ops, leaders and admins (as for the team's other shared data).
Changing: the team's people, Product Ops and admins (leaders read only). Approving: Product Ops or
the named reviewer, never the creator. The portfolio: Product Ops, leaders and admins.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.experiments import service
from deliveryops.experiments.jobs import start_import
from deliveryops.experiments.models import ExperimentStatus
from deliveryops.work.models import PendingUpload
from tests.experiments.builders import complete_fields
from tests.web.authz_roles import (
    A_VIEWERS,
    ADMIN,
    CROSS_TEAM,
    DM_A,
    EXAMPLES,
    MEMBER_A,
    MEMBER_B,
    OPS,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

A_EDITORS = frozenset({MEMBER_A, DM_A, OPS, ADMIN})
APPROVERS = frozenset({OPS})
CREATORS_ANYWHERE = frozenset({MEMBER_A, MEMBER_B, DM_A, OPS, ADMIN})  # in some team, or Product Ops / admin
E = "/api/v1/experiments/{experiment_id}"
P = "/experiments/{experiment_id}"
ROW = {"date": "2026-11-02", "metric": "conversion", "variation": "control", "n": 100, "sum": 10}

EXPECTED: Expectations = {
    ("GET", "/api/v1/experiments"): (SIGNED_IN, None),
    ("POST", "/api/v1/experiments"): (
        A_EDITORS,
        {
            "team_id": "{team_id}",
            "title": "Walk experiment",
            "variations": [{"name": "control", "is_control": True}, {"name": "b"}],
        },
    ),
    ("GET", "/api/v1/experiments/power"): (SIGNED_IN, None),
    ("GET", "/api/v1/experiments/portfolio"): (CROSS_TEAM, None),
    ("GET", E): (A_VIEWERS, None),
    ("PATCH", E): (A_EDITORS, {"tags": ["walked"]}),
    ("GET", E + "/results"): (A_VIEWERS, None),
    ("POST", E + "/statistics"): (A_EDITORS, {"period": "cumulative", "rows": [ROW, {**ROW, "variation": "one-page"}]}),
    ("POST", E + "/statistics.csv"): (A_EDITORS, {"__file__": "experiment-checkout.csv"}),
    ("GET", E + "/statistics-jobs/{job_id}"): (A_EDITORS, None),
    ("POST", E + "/statistics-jobs/{job_id}/cancel"): (A_EDITORS, None),
    ("POST", E + "/review"): (APPROVERS, {"approve": True}),
    ("POST", E + "/transitions"): (A_EDITORS, {"to": "analysing"}),
    ("POST", E + "/decision"): (A_EDITORS, {"decision": "ship", "rationale": "walked"}),
    ("DELETE", E): (A_EDITORS, None),
    ("GET", "/experiments"): (SIGNED_IN, None),
    ("GET", "/teams/{slug}/experiments"): (A_VIEWERS, None),
    ("GET", "/experiments/new"): (CREATORS_ANYWHERE, None),
    ("POST", "/experiments/new"): (A_EDITORS, {"title": "Walk page", "team_id": "{team_id}"}),
    ("GET", "/experiments/power"): (SIGNED_IN, None),
    ("GET", "/experiments/portfolio"): (CROSS_TEAM, None),
    ("GET", "/experiments/methods"): (SIGNED_IN, None),
    ("GET", P): (A_VIEWERS, None),
    ("GET", P + "/edit"): (A_EDITORS, None),
    ("POST", P + "/edit"): (A_EDITORS, {"title": "Walked"}),
    ("POST", P + "/review"): (APPROVERS, {"approve": "true"}),
    ("POST", P + "/statistics"): (A_EDITORS, {"__file__": "experiment-checkout.csv"}),
    ("GET", P + "/statistics/jobs/{job_id}"): (A_EDITORS, None),
    ("POST", P + "/statistics/jobs/{job_id}/cancel"): (A_EDITORS, {}),
    ("POST", P + "/transition"): (A_EDITORS, {"to": "analysing"}),
    ("POST", P + "/decision"): (A_EDITORS, {"decision": "ship", "rationale": "walked"}),
    ("POST", P + "/learnings"): (A_EDITORS, {"learnings": "walked"}),
    ("POST", P + "/delete"): (A_EDITORS, None),
}

PATH_OVERRIDES = {
    ("DELETE", E): {"experiment_id": "experiment_draft_id"},
    ("POST", P + "/delete"): {"experiment_id": "experiment_second_draft_id"},
    **{
        (method, path): {"job_id": "statistics_job_id"}
        for method, path in (
            ("GET", E + "/statistics-jobs/{job_id}"),
            ("POST", E + "/statistics-jobs/{job_id}/cancel"),
            ("GET", P + "/statistics/jobs/{job_id}"),
            ("POST", P + "/statistics/jobs/{job_id}/cancel"),
        )
    },
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the experiments objects the walk acts upon; return their path placeholders."""
    creator = world.people[DM_A]
    experiment = service.create(session=session, actor=creator, team_id=world.team_a.id, design=complete_fields())
    service.transition(session=session, actor=creator, experiment_id=experiment.id, to=ExperimentStatus.IN_REVIEW)
    service.transition(session=session, actor=creator, experiment_id=experiment.id, to=ExperimentStatus.RUNNING)
    drafts = [
        service.create(session=session, actor=creator, team_id=world.team_a.id, design=complete_fields(f"Walk draft {n}"))
        for n in (1, 2)
    ]
    pending = PendingUpload(
        token="walk-statistics-upload",
        user_id=creator.id,
        team_id=world.team_a.id,
        file_name="experiment-checkout.csv",
        content=(EXAMPLES / "experiment-checkout.csv").read_bytes(),
    )
    session.add(pending)
    job = start_import(session, actor=creator, experiment=experiment, pending=pending, period="")
    return {
        "statistics_job_id": str(job.id),
        "experiment_id": str(experiment.id),
        "experiment_draft_id": str(drafts[0].id),
        "experiment_second_draft_id": str(drafts[1].id),
    }
