"""The contracts of the practice catalogue: entries, checks, practices held, the adoption matrix, tools and trends."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.adoption.checks import CheckResult
from deliveryops.cockpit.models import AdoptionLevel, CatalogueEntry, CustomCheck, DataCheck, EntryKind, HeldKind, Signal


class EntryRead(BaseModel):
    """A tool or practice in the catalogue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: EntryKind
    name: str
    category: str
    owner_id: int | None
    guide: str
    data_check: DataCheck | None
    active: bool
    created_at: datetime
    updated_at: datetime


class EntryWrite(BaseModel):
    """A new or changed catalogue entry (every field; PATCH keeps those left out)."""

    kind: EntryKind = EntryKind.TOOL
    name: str = Field(max_length=100)
    category: str = Field(max_length=40)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    guide: str = Field(default="", max_length=20_000)
    data_check: DataCheck | None = None
    active: bool = True


class EntryPatch(BaseModel):
    """Fields to change on a catalogue entry."""

    kind: EntryKind | None = None
    name: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=40)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    guide: str | None = Field(default=None, max_length=20_000)
    data_check: DataCheck | None = None
    active: bool | None = None


class TeamCount(BaseModel):
    """Impediments of one team that name the entry."""

    team_id: int
    team_name: str
    open: int
    closed: int


class ClusterRef(BaseModel):
    """An open cross-team cluster holding impediments that name the entry."""

    id: int
    title: str
    status: str


class SignalRead(BaseModel):
    """A signal an admin-defined check can use: its name, unit and which way the practice keeps it."""

    signal: Signal
    label: str
    unit: str
    at_most: bool


class CustomCheckWrite(BaseModel):
    """An admin-defined check: pass when the signal over the window is at least (or, for signals kept low,
    at most) the threshold."""

    signal: Signal
    threshold: float = Field(ge=0, le=1_000_000)
    window_days: int = Field(ge=7, le=365)


class CustomCheckRead(CustomCheckWrite):
    """An entry's admin-defined check."""

    model_config = ConfigDict(from_attributes=True)

    entry_id: int
    updated_at: datetime


class CustomCheckListed(CustomCheckRead):
    """An admin-defined check in the list of them, with its entry's name."""

    entry_name: str


def custom_check_listed(rule: CustomCheck, entry: CatalogueEntry) -> CustomCheckListed:
    """The API's view of an admin-defined check in the list."""
    return CustomCheckListed(
        entry_id=entry.id,
        entry_name=entry.name,
        signal=rule.signal,
        threshold=rule.threshold,
        window_days=rule.window_days,
        updated_at=rule.updated_at,
    )


class RolloutResult(BaseModel):
    """A rollout and its measured effect (shown to Product Ops, leaders and admins)."""

    rollout_id: int
    title: str
    entry_name: str
    teams: int
    adopted: int
    metric: str
    outcome: str
    effect: float | None
    low: float | None
    high: float | None
    detail: str
    computed_at: datetime | None = Field(default=None, description="when the stored report was computed")
    recomputing: bool = Field(default=False, description="the data changed since: a newer report is being computed")


class EntryDetail(EntryRead):
    """An entry with the impediments that name it (per-team rows only for teams the caller sees), its
    admin-defined check, and its rollouts' results (empty unless the caller reads rollouts)."""

    open_impediments: int
    closed_impediments: int
    by_team: list[TeamCount]
    open_clusters: list[ClusterRef]
    custom_check: CustomCheckRead | None = None
    rollouts: list[RolloutResult] = []


class CheckRead(BaseModel):
    """What the data says about a team's tool or practice, and how sure it is."""

    check: DataCheck
    confirmed: bool | None
    evidence: str
    link: str
    observable: bool = True
    strength: str = "none"
    certainty: str = ""
    window_days: int | None = None

    @classmethod
    def of(cls, result: CheckResult | None) -> CheckRead | None:
        """A check's result as the API shows it (None when the entry has no data check)."""
        if result is None:
            return None
        return cls(
            check=result.check,
            confirmed=result.confirmed,
            evidence=result.evidence,
            link=result.link,
            observable=result.check.observable,
            strength=result.strength,
            certainty=result.certainty,
            window_days=result.window_days,
        )


def check_read(result: CheckResult | None) -> CheckRead | None:
    """The API's view of a check's result (``CheckRead.of``)."""
    return CheckRead.of(result)


class TeamCheckRead(BaseModel):
    """One team's check of one catalogue entry, beside its declared state."""

    team_id: int
    team_name: str
    entry_id: int
    entry_name: str
    state: AdoptionLevel
    mismatch: bool
    result: CheckRead

    @classmethod
    def rows(cls, matrix: adoption.AdoptionMatrix, *, entry_id: int | None = None) -> list[TeamCheckRead]:
        """Every checked (entry, team) pair of the matrix, entry by entry (only ``entry_id`` when given)."""
        out = []
        for entry in matrix.entries:
            if entry_id is not None and entry.id != entry_id:
                continue
            for team in matrix.teams:
                check = CheckRead.of(matrix.check(team.id, entry.id))
                if check is None:
                    continue
                out.append(
                    cls(
                        team_id=team.id,
                        team_name=team.name,
                        entry_id=entry.id,
                        entry_name=entry.name,
                        state=matrix.state(team.id, entry.id),
                        mismatch=matrix.mismatch(team.id, entry.id),
                        result=check,
                    )
                )
        return out


class HeldWrite(BaseModel):
    """A retro or health check the team held outside DeliveryOps."""

    kind: HeldKind
    held_on: date
    note: str = Field(default="", max_length=500)


class HeldRead(BaseModel):
    """A session recorded as held outside DeliveryOps."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    kind: HeldKind
    held_on: date
    note: str
    recorded_at: datetime


class CellRead(BaseModel):
    """One team's current state of one entry."""

    team_id: int
    entry_id: int
    state: AdoptionLevel
    set_at: datetime | None
    note: str
    check: CheckRead | None
    mismatch: bool


class MatrixRead(BaseModel):
    """The adoption matrix."""

    entries: list[EntryRead]
    team_ids: list[int]
    team_names: list[str]
    cells: list[CellRead]


class StateWrite(BaseModel):
    """A team's new declared state of an entry."""

    entry_id: int = Field(ge=1, le=2**31 - 1, title="Tool or practice")
    state: AdoptionLevel
    note: str = Field(default="", max_length=2000)


class StateRead(BaseModel):
    """One row of a team's adoption history."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    entry_id: int
    state: AdoptionLevel
    note: str
    set_by_id: int | None
    set_at: datetime


class TeamPractices(BaseModel):
    """A team's adoption: current cells, WIP limit and history (newest first)."""

    team_id: int
    wip_limit: int | None
    cells: list[CellRead]
    history: list[StateRead]


class WipLimitWrite(BaseModel):
    """The team's WIP limit (null clears it)."""

    wip_limit: int | None = Field(default=None, ge=1, le=adoption.MAX_WIP_LIMIT, title="WIP limit")


class ToolWrite(BaseModel):
    """The catalogue entry an impediment concerns (null clears it)."""

    entry_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Tool or practice")


class ToolRead(BaseModel):
    """The catalogue entry an impediment names."""

    impediment_id: int
    entry: EntryRead | None


class TrendRead(BaseModel):
    """Adoption over time: share of applicable teams that adopted each entry at each month's end."""

    months: list[date]
    shares: dict[int, list[float | None]]
    teams: int
    min_group_size: int
