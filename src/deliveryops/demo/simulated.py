"""Import simulated histories through the same path as real data (demo, `deliveryops simulate`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.simulate import SimulatedTeam
from deliveryops.teams import service as teams
from deliveryops.teams.models import Team
from deliveryops.work.importing import ImportSummary, import_records

__all__ = ["import_simulated"]


def import_simulated(session: Session, simulated: SimulatedTeam, *, group_id: int | None = None) -> ImportSummary:
    """Create the simulated team if needed and import its history with its workflow.

    Args:
        session: the unit of work.
        simulated: one team from the simulator.
        group_id: the group for a team created here.

    Returns:
        What the import changed.
    """
    team = session.scalar(select(Team).where(Team.name == simulated.name))
    if team is None:
        team = teams.create_team(
            session=session, actor=None, name=simulated.name, time_zone=simulated.time_zone, group_id=group_id
        )
    team.time_zone = simulated.time_zone  # the history was generated in this zone
    return import_records(
        session=session,
        actor=None,
        team=team,
        records=simulated.items,
        import_format="simulated",
        file_name=f"simulated {simulated.start} to {simulated.end}",
        workflow=simulated.workflow,
    )
