"""Import every ORM module so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from deliveryops.accounts import models as accounts_models
from deliveryops.actions import models as actions_models
from deliveryops.coaching import models as coaching_models
from deliveryops.cockpit import models as cockpit_models
from deliveryops.cockpit.digest import models as cockpit_digest_models
from deliveryops.dependencies import models as dependencies_models
from deliveryops.dora import models as dora_models
from deliveryops.enablement import models as enablement_models
from deliveryops.experiments import models as experiments_models
from deliveryops.facilitation import models as facilitation_models
from deliveryops.flow import models as flow_models
from deliveryops.health import models as health_models
from deliveryops.impediments import models as impediments_models
from deliveryops.jobs import models as jobs_models
from deliveryops.notify import models as notify_models
from deliveryops.outcomes import models as outcomes_models
from deliveryops.retros import models as retros_models
from deliveryops.retros import multi_models as retros_multi_models
from deliveryops.risks import models as risks_models
from deliveryops.roadmap import models as roadmap_models
from deliveryops.sync import models as sync_models
from deliveryops.teams import models as teams_models
from deliveryops.work import models as work_models

__all__ = [
    "accounts_models",
    "actions_models",
    "coaching_models",
    "cockpit_digest_models",
    "cockpit_models",
    "dependencies_models",
    "dora_models",
    "enablement_models",
    "experiments_models",
    "facilitation_models",
    "flow_models",
    "health_models",
    "impediments_models",
    "jobs_models",
    "notify_models",
    "outcomes_models",
    "retros_models",
    "retros_multi_models",
    "risks_models",
    "roadmap_models",
    "sync_models",
    "teams_models",
    "work_models",
]
