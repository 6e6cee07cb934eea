"""The portfolio's JSON shape (``/api/v1/cockpit/portfolio``): every team's row and the group roll-ups."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from deliveryops.cockpit.portfolio.service import Portfolio

__all__ = ["DoraBands", "PortfolioGroup", "PortfolioRead", "PortfolioTeam", "portfolio_read"]


class DoraBands(BaseModel):
    """The four DORA bands of a team over the last 90 days (None: no data)."""

    deployment_frequency: str | None
    lead_time: str | None
    change_failure_rate: str | None
    recovery: str | None


class PortfolioTeam(BaseModel):
    """One team's portfolio row."""

    team_id: int
    name: str
    slug: str
    group: str | None
    weekly_throughput: list[int]
    last_week_throughput: str  # signal_up, signal_down, within_normal_variation or not_enough_data
    cycle_time_p85_days: int | None
    sle_days: int | None
    aging_past_sle: int
    wip: int
    calibration_85_hit_rate: float | None
    calibration_85_scored: int
    calibration_85_verdict: str
    dora: DoraBands | None
    health_scores: list[float] | None
    impediments_open: int
    impediments_escalated: int
    actions: int
    actions_done: int
    actions_measured: int
    actions_improved: int
    experiments_running: int | None
    computed_at: datetime | None
    stale: bool  # stored before the team's data changed; being computed again


class PortfolioGroup(BaseModel):
    """A group's roll-up."""

    group_id: int
    name: str
    slug: str
    teams: int
    weekly_throughput: list[int]
    cycle_time_p85_days: int | None
    aging_past_sle: int
    wip: int
    impediments_open: int
    impediments_escalated: int
    actions: int
    actions_done: int
    experiments_running: int | None
    health_latest_mean: float | None


class PortfolioRead(BaseModel):
    """The portfolio: teams by name, roll-ups of groups large enough to show."""

    weeks: list[date]
    teams: list[PortfolioTeam]
    groups: list[PortfolioGroup]
    hidden_groups: list[str]
    min_group_size: int
    pending_teams: list[str]  # slugs of teams whose rows are being computed (left out of teams and roll-ups)


def portfolio_read(portfolio: Portfolio) -> PortfolioRead:
    """The API shape of a portfolio."""
    teams = []
    for row in portfolio.rows:
        if row.state == "pending":
            continue
        dora = None
        if row.dora is not None:
            bands = row.dora.bands
            dora = DoraBands(
                deployment_frequency=bands.get("deployment_frequency_band"),
                lead_time=bands.get("lead_time_band"),
                change_failure_rate=bands.get("change_failure_rate_band"),
                recovery=bands.get("recovery_band"),
            )
        teams.append(
            PortfolioTeam(
                team_id=row.team_id,
                name=row.name,
                slug=row.slug,
                group=row.group_name,
                weekly_throughput=row.throughput,
                last_week_throughput=row.throughput_change.outcome.value,
                cycle_time_p85_days=row.cycle_time_p85,
                sle_days=row.sle_days,
                aging_past_sle=row.aging_past_sle,
                wip=row.wip,
                calibration_85_hit_rate=row.calibration_85,
                calibration_85_scored=row.calibration_scored,
                calibration_85_verdict=row.calibration_verdict,
                dora=dora,
                health_scores=None if row.health is None else [p.score for p in row.health],
                impediments_open=row.impediments_open,
                impediments_escalated=row.impediments_escalated,
                actions=row.actions,
                actions_done=row.actions_done,
                actions_measured=row.actions_measured,
                actions_improved=row.actions_improved,
                experiments_running=row.experiments_running,
                computed_at=row.computed_at,
                stale=row.state == "stale",
            )
        )
    groups = [
        PortfolioGroup(
            group_id=g.group_id,
            name=g.name,
            slug=g.slug,
            teams=g.teams,
            weekly_throughput=g.throughput,
            cycle_time_p85_days=g.cycle_time_p85,
            aging_past_sle=g.aging_past_sle,
            wip=g.wip,
            impediments_open=g.impediments_open,
            impediments_escalated=g.impediments_escalated,
            actions=g.actions,
            actions_done=g.actions_done,
            experiments_running=g.experiments_running,
            health_latest_mean=g.health_latest_mean,
        )
        for g in portfolio.rollups
    ]
    return PortfolioRead(
        weeks=portfolio.weeks,
        teams=teams,
        groups=groups,
        hidden_groups=portfolio.hidden_groups,
        min_group_size=portfolio.min_group_size,
        pending_teams=[row.slug for row in portfolio.rows if row.state == "pending"],
    )
