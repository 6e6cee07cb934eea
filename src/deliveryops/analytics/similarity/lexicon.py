"""The delivery-domain concept lexicon: words and phrases that teams use for the same thing.

Two impediments that describe one problem in different words ("no access to production logs",
"still waiting for Splunk permissions") share few words but the same **concepts** (``access``,
``observability-logs``). This module lists, per concept, the terms that name it. It is curated by
hand for software delivery teams; extend it when a real cluster is missed (add the missing term to
the concept it names, or a new concept) and re-run ``benchmarks/similarity_bench.py``.

How a term is matched (``deliveryops.analytics.similarity.text``): terms and texts go through the
same normaliser and stemmer, so a term is written once in its plain form ("log" matches "logs",
"logging", "logged"). A term may be a phrase of up to ``MAX_PHRASE`` words; the longest phrase
wins, so "log in" (signing in) is not read as "log" (a log file), and "test environment" is an
environment, not a test. A term may name several concepts ("datadog": logs and metrics).

Weights: a concept's weight scales its feature. Generic concepts that almost every impediment
carries ("waiting", "blocked") weigh little (``LOW``) and form no concept pairs; specific ones
weigh 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from deliveryops.analytics.similarity.text import stem, tokens

__all__ = ["DEFAULT_LEXICON", "LOW", "MAX_PHRASE", "Concept", "Lexicon"]

LOW = 0.25
MAX_PHRASE = 4


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept: its name, its weight and the terms (words or phrases) that name it."""

    name: str
    terms: tuple[str, ...]
    weight: float = 1.0


class Lexicon:
    """A compiled set of concepts: maps stemmed phrases to concept names.

    Args:
        concepts: the concepts; a term listed under several concepts names all of them.
    """

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self.weights: Mapping[str, float] = MappingProxyType({concept.name: concept.weight for concept in self.concepts})
        phrases: dict[tuple[str, ...], list[str]] = {}
        for concept in self.concepts:
            for term in concept.terms:
                key = tuple(stem(token) for token in tokens(term))
                if not key or len(key) > MAX_PHRASE:
                    raise ValueError(f"lexicon term {term!r} of concept {concept.name!r} must have 1 to {MAX_PHRASE} words")
                names = phrases.setdefault(key, [])
                if concept.name not in names:
                    names.append(concept.name)
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {key: tuple(names) for key, names in phrases.items()}
        # The longest phrase that starts with each stem: most stems start none, and cost one lookup.
        self._longest: dict[str, int] = {}
        for key in self._phrases:
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))

    def concepts_in(self, words: list[str]) -> list[str]:
        """Return the concepts named in a token list, longest phrase first, in reading order.

        Args:
            words: tokens from ``text.tokens`` (stop words included).

        Returns:
            Concept names, one per matched term occurrence (repeats kept: they are term counts).
        """
        stems = [stem(word) for word in words]
        found: list[str] = []
        position = 0
        while position < len(stems):
            longest = self._longest.get(stems[position], 0)
            for length in range(min(longest, len(stems) - position), 0, -1):
                names = self._phrases.get(tuple(stems[position : position + length]))
                if names is not None:
                    found.extend(names)
                    position += length
                    break
            else:
                position += 1
        return found


def _concept(name: str, terms: str, weight: float = 1.0) -> Concept:
    """Build a concept from a ``;``-separated list of terms (so phrases may hold spaces)."""
    return Concept(name, tuple(term.strip() for term in terms.split(";") if term.strip()), weight)


# One line per concept family; the comment says what the concept is for when its name is not enough.
_CONCEPTS = (
    # Environments.
    _concept(
        "env-production",
        "prod; production; live; prd; production environment; prod env; live system; customer facing; prod cluster; prod server",
    ),
    _concept(
        "env-test",
        "staging; stage; stg; test environment; test env; testing environment; qa environment; qa env; uat; sandbox; "
        "preprod; pre prod; pre production; integration environment; int env; acceptance environment; dev environment; "
        "dev env; shared environment; ephemeral environment; review app; test system; test server; test cluster",
    ),
    # Access and identity.
    _concept(
        "access",
        "access; permission; perms; grant; granted; rights; role; roles; iam; privilege; entitlement; acl; "
        "read access; write access; admin rights; access request; cannot see; cannot access; cannot view; cannot open; "
        "locked out; locked down; not allowed; forbidden; unauthorised; unauthorized; authorise; authorize; "
        "authorisation; authorization; log in; login; sign in; logon; log on; account; accounts; user account; "
        "break glass",
    ),
    _concept(
        "identity",
        "sso; single sign on; okta; saml; oauth; oidc; active directory; azure ad; entra; ldap; keycloak; auth0; "
        "identity provider; idp",
    ),
    _concept(
        "credentials",
        "credential; password; passwords; secret; secrets; vault; hashicorp vault; api key; api keys; token; tokens; "
        "service account; client secret; keepass; 1password; key rotation; ssh key; ssh keys; private key; "
        "secrets manager",
    ),
    _concept(
        "vpn",
        "vpn; remote access; remote connection; anyconnect; cisco anyconnect; globalprotect; zscaler; tunnel; "
        "corporate network; company network; office network; bastion; jump host; jumphost; disconnect; disconnects; "
        "disconnected; connection drops",
    ),
    _concept(
        "network",
        "firewall; firewall rule; port; ports; network team; whitelist; allowlist; ip; ips; ip address; proxy; "
        "security group; network rule; egress; ingress; network; networking; connectivity; routing; outbound; inbound",
    ),
    _concept("tls", "certificate; certificates; cert; certs; ssl; tls; https; letsencrypt; lets encrypt; ca"),
    _concept("dns", "dns; domain; subdomain; cname; a record; route53; route 53; hostname; dns entry; dns record"),
    # Observability.
    _concept(
        "observability-logs",
        "log; logfile; log file; splunk; kibana; elk; elasticsearch; elastic; opensearch; loki; graylog; papertrail; "
        "cloudwatch logs; logz; stack trace; stacktrace; application logs; datadog; sumo logic",
    ),
    _concept(
        "observability-metrics",
        "metric; dashboard; dashboards; grafana; prometheus; alert; alerts; alerting; monitoring; new relic; newrelic; "
        "apm; tracing; distributed tracing; jaeger; datadog; sentry; observability; telemetry",
    ),
    _concept(
        "alert-noise",
        "alarm; alarms; false alarm; false alarms; alert fatigue; noisy; noise; spam; notifications; badly tuned; "
        "too many alerts",
    ),
    # Build, test, deploy.
    _concept(
        "ci",
        "pipeline; pipelines; ci; ci cd; cicd; jenkins; github actions; gitlab ci; circleci; teamcity; bamboo; "
        "buildkite; build; builds; build agent; build agents; agent; agents; runner; runners; build server; "
        "azure pipelines; azure devops; argo; argocd; spinnaker; travis; gate; quality gate",
    ),
    _concept(
        "testing",
        "test; tests; testing; e2e; end to end; selenium; cypress; playwright; integration test; unit test; "
        "regression; regression test; test suite; qa; tester; testers; test automation; ui automation; ui tests; "
        "automated tests; smoke test; contract test",
    ),
    _concept(
        "flaky",
        "flaky; flakey; flakiness; intermittent; intermittently; randomly; random failures; fail randomly; "
        "non deterministic; nondeterministic; unreliable; unstable; red for no reason; sporadic; sporadically; "
        "rerun; re run; retry; retries",
    ),
    _concept(
        "deploy",
        "deploy; deployment; deployments; release; releases; rollout; roll out; ship; shipping; go live; "
        "push to prod; promote; promotion; hotfix; rollback; roll back; deliver; delivery",
    ),
    _concept(
        "release-schedule",
        "freeze; code freeze; change freeze; release window; deployment window; deploy window; maintenance window; "
        "release train; release calendar; release slot; window; windows; maintenance slot; release day; deploy day; "
        "holiday season; peak season",
    ),
    _concept(
        "artifacts",
        "docker; image; images; container; containers; base image; registry; artifactory; nexus; ecr; harbor; "
        "package; packages; npm; maven; pypi; artifact; artifacts",
    ),
    _concept(
        "performance",
        "load test; load testing; performance test; performance testing; perf test; stress test; gatling; jmeter; "
        "k6; locust; latency; performance; timeout; timeouts; throughput; stress",
    ),
    _concept(
        "experimentation",
        "a b test; ab test; a b testing; ab testing; experiment; experiments; experimentation; split test; variant; variants",
    ),
    # Approvals, governance, security, compliance.
    _concept(
        "approval",
        "approval; approve; approved; approver; approvers; sign off; signoff; sign offs; signature; signatures; cab; "
        "change advisory board; change board; change request; change ticket; go no go; rfc; green light",
    ),
    _concept("security", "security; security team; infosec; appsec; ciso; secure"),
    _concept(
        "security-review",
        "security review; pentest; pen test; penetration test; threat model; threat modelling; threat modeling; "
        "risk assessment; architecture review; security assessment; security sign off",
    ),
    _concept(
        "vulnerability-scan",
        "vulnerability; vulnerabilities; cve; cves; security scan; sast; dast; snyk; sonarqube; veracode; scan; scans; "
        "scanner; scanning; trivy; dependabot; security patch; security patches",
    ),
    _concept(
        "privacy-legal",
        "legal; privacy; gdpr; dpia; data protection; dpo; personal data; pii; legal team; lawyer; lawyers; counsel; "
        "compliance; terms and conditions; consent; data processing agreement; dpa; cookie; cookies; ccpa; "
        "retention policy; data retention; privacy impact assessment",
    ),
    # Product, design, requirements.
    _concept(
        "design-ux",
        "design; designs; ux; ui; mockup; mockups; mock up; mock ups; wireframe; wireframes; figma; sketch; "
        "prototype; prototypes; designer; designers; visual design; user research; ux research; screens; "
        "style guide; design system; zeplin; invision",
    ),
    _concept(
        "requirements",
        "requirement; requirements; acceptance criteria; ac; spec; specs; specification; user story; user stories; "
        "story; stories; scope; definition of ready; definition of done; dod; expected behaviour; expected behavior; "
        "business rules; refinement; refined; ticket description; brief",
    ),
    _concept(
        "clarity",
        "unclear; ambiguous; vague; clarify; clarification; not clear; confusing; open questions; open question; "
        "undefined; contradictory; changing; keeps changing; keep changing; no answer; unanswered",
    ),
    _concept(
        "stakeholders",
        "product owner; po; product manager; pm; stakeholder; stakeholders; business; business owner; sponsor; "
        "leadership; management; sales; marketing",
    ),
    _concept(
        "priorities",
        "priority; priorities; prioritisation; prioritization; prioritise; prioritize; reprioritised; reprioritized; "
        "conflicting priorities; roadmap; scope change; urgent request; urgent requests; urgent; competing; decide; "
        "decides; comes first",
    ),
    _concept(
        "localisation",
        "translation; translations; translate; translator; translators; localisation; localization; l10n; i18n; "
        "language version; copywriting; copy; wording; texts; language; languages; german; french; dutch; spanish; "
        "string; strings",
    ),
    # Other teams, vendors, procurement, money.
    _concept(
        "team-dependency",
        "upstream; downstream; dependency; dependencies; other team; another team; platform team; their api; "
        "their service; their side; owning team; external team; hand off; handoff; handover; cross team",
    ),
    _concept(
        "api",
        "api; apis; endpoint; endpoints; interface; contract test; breaking change; openapi; swagger; graphql; grpc; "
        "webhook; webhooks; integration; sdk; expose; breaks its contract; breaks the contract; api contract",
    ),
    _concept(
        "vendor",
        "vendor; vendors; supplier; suppliers; third party; external provider; provider; agency; contractor; "
        "contractors; outsourced",
    ),
    _concept(
        "procurement",
        "contract; contracts; licence; license; licences; licenses; licensing; seat; seats; subscription; renewal; "
        "purchase order; procurement; purchasing; buy; purchase; invoice; agreement",
    ),
    _concept(
        "budget",
        "budget; budgets; cost; costs; spend; spending; finance; finops; cost committee; cost centre; cost center; "
        "justify; business case",
    ),
    # Infrastructure and data.
    _concept(
        "database",
        "database; databases; db; dbs; postgres; postgresql; mysql; oracle; sql server; mssql; mongodb; mongo; dba; "
        "dbas; rds; aurora; dynamodb; table; tables",
    ),
    _concept(
        "schema-change",
        "schema; schema change; schema changes; schema migration; schema migrations; db migration; db change; "
        "db changes; database change; database changes; flyway; liquibase; ddl; alter table; migration script",
    ),
    _concept(
        "data-query",
        "query; queries; querying; sql; run queries; read replica; replica; read only; select",
    ),
    _concept(
        "data-warehouse",
        "data warehouse; warehouse; bigquery; big query; snowflake; redshift; databricks; data lake; datalake; "
        "looker; tableau; power bi; powerbi; dbt; bi; hive; metabase; analytics data; data platform; data team",
    ),
    _concept(
        "test-data",
        "test data; testdata; sample data; anonymised; anonymized; anonymisation; anonymization; synthetic data; "
        "masked data; data masking; realistic data; fixtures; seed data; dummy data; copy of production; "
        "copy of prod; data copy; test account; test accounts; test user; test users",
    ),
    _concept(
        "tracking-data",
        "tracking; tracking event; tracking events; event; events; clickstream; analytics events; payload; payloads; "
        "field; fields; missing fields; data quality; tracking plan; user id",
    ),
    _concept(
        "feature-flags",
        "feature flag; feature flags; feature toggle; feature toggles; toggle; toggles; launchdarkly; launch darkly; "
        "unleash; flagsmith; split io; flag; flags; dark launch",
    ),
    _concept(
        "cloud",
        "aws; gcp; azure; cloud; cloud account; aws account; gcp project; cloud console; landing zone; cloud team; "
        "ec2; s3; lambda; terraform; cloudformation; subscription id; provisioning; provision; bucket; buckets; gpu; "
        "gpus; node; nodes; instance; instances; scaling; autoscaling; load balancer; load balancers",
    ),
    _concept(
        "quota",
        "quota; quotas; service limit; limit; limits; capacity limit; resource limit; rate limit; rate limited",
    ),
    _concept("kubernetes", "kubernetes; k8s; namespace; namespaces; helm; pod; pods; eks; gke; aks; openshift; cluster"),
    _concept(
        "tech-debt",
        "upgrade; upgrades; outdated; end of life; eol; deprecated; deprecation; legacy; tech debt; technical debt; "
        "old version; unsupported; migration; migrate; library; libraries; framework; patch; patches",
    ),
    # Devices and apps.
    _concept(
        "hardware",
        "laptop; laptops; hardware; macbook; new machine; computer; workstation; dev machine; keyboard; "
        "docking station; headset; equipment; machine; machines",
    ),
    _concept("mobile", "apple; ios; android; mobile app; mobile; iphone; iphones; ipad"),
    _concept(
        "app-store",
        "app store; appstore; play store; google play; testflight; store review; store approval; app review; "
        "resubmission; submission; submit",
    ),
    _concept(
        "device-lab",
        "device; devices; device lab; simulator; simulators; emulator; emulators; physical device; real device; "
        "real devices; phone; phones; test phones; iphone; iphones",
    ),
    # People, time, ways of working.
    _concept(
        "incidents",
        "on call; oncall; incident; incidents; outage; outages; pager; pagerduty; pager duty; opsgenie; sev1; sev 1; "
        "p1; escalation; escalations; production issue; production issues; firefighting; fire fighting; bug; bugs; "
        "support ticket; support tickets; support rota; war room",
    ),
    _concept(
        "interruptions",
        "interrupt; interrupts; interruption; interruptions; unplanned; unplanned work; context switching; "
        "ad hoc; distraction; distractions; side requests; firefighting",
    ),
    _concept(
        "capacity",
        "capacity; understaffed; short staffed; sick; on leave; sick leave; parental leave; annual leave; vacation; "
        "holiday; holidays; hiring; hiring freeze; backfill; headcount; bandwidth; overloaded; overworked; people; "
        "staff; staffing; resigned; left the company; quit; part time; halved; reorg; reorganisation; left",
    ),
    _concept(
        "new-joiners",
        "new joiner; new joiners; new hire; new hires; new starter; new starters; new colleague; new colleagues; "
        "new developer; new developers; newcomer; newcomers; onboarding",
    ),
    _concept(
        "remote-work",
        "from home; working from home; work from home; wfh; home office; remote working; remote work",
    ),
    _concept(
        "meetings",
        "meeting; meetings; ceremony; ceremonies; status meeting; calendar; focus time; sync; syncs; standup; "
        "stand up; workshop; workshops; call; calls",
    ),
    _concept(
        "documentation",
        "documentation; docs; doc; documented; undocumented; wiki; confluence; readme; runbook; runbooks; "
        "how to; guide; playbook; how it works; reverse engineer; developer portal; backstage",
    ),
    _concept(
        "knowledge-silo",
        "bus factor; only person; only one; single point of failure; tribal knowledge; knowledge transfer; "
        "knowledge; expert; knows; nobody knows; no one knows; original author; nobody can touch; one person",
    ),
    _concept(
        "code-review",
        "code review; code reviews; reviewer; reviewers; pull request; pull requests; pr; prs; merge request; "
        "merge requests; mr; mrs; four eyes",
    ),
    _concept(
        "ticketing",
        "service desk; servicedesk; servicenow; service now; it ticket; helpdesk; help desk; raise a ticket; "
        "ticket; tickets; request form; it support; it department",
    ),
    _concept(
        "work-tracking",
        "jira; issue tracker; tracker; board; boards; workflow; workflows; kanban board; jira admin; jira admins; "
        "tooling team; configuration",
    ),
    # Generic words: present in most impediments, so they weigh little and form no pairs.
    _concept("environment", "environment; env; environments; envs; server; servers", LOW),
    _concept("review", "review; reviews; reviewed; assess; assessment; look at", LOW),
    _concept(
        "waiting",
        "waiting; wait; waited; blocked; blocker; blocking; stuck; pending; delay; delayed; delays; on hold; "
        "no response; slow response; takes ages; ages; forever; long time; backlog; queue; queued; slow; slows; "
        "slowness; postpone; postponing; postponed; eta; no eta",
        LOW,
    ),
    _concept(
        "broken",
        "broken; down; fail; fails; failing; failure; failures; error; errors; crash; crashes; not working; "
        "falling over; falls over; dying; dies; unusable",
        LOW,
    ),
    _concept("missing", "missing; lack; lacking; absent; no; none; without; unavailable; not available; not ready", LOW),
)

DEFAULT_LEXICON = Lexicon(_CONCEPTS)
