"""One-thing pre-fill (高效办成一件事): scenarios as data, checked against the catalog, and
the pre-fill that runs a scenario's exchanges in parallel and merges the signed answers into
the form with per-field provenance. See ``docs/prefill.md``."""

from exchange.prefill.api import router
from exchange.prefill.checks import (
    CheckedScenario,
    SourceInfo,
    check_scenario,
    load_scenario,
    shareable_hits,
)
from exchange.prefill.errors import InvalidPrefillRequest, ScenarioInvalid, ScenarioNotFound
from exchange.prefill.form import ExchangeRef, Form, FormField, Provenance
from exchange.prefill.plan import PrefillRequest
from exchange.prefill.relations import find_grant, is_next_of_kin
from exchange.prefill.scenario import (
    Field,
    Role,
    Scenario,
    Source,
    builtin_scenario,
    parse_scenario,
    scenario_ids,
)
from exchange.prefill.service import prefill
from exchange.prefill.views import form_view, scenario_detail, scenario_summary
from exchange.prefill.waiting import wait_all

__all__ = [
    "CheckedScenario",
    "ExchangeRef",
    "Field",
    "Form",
    "FormField",
    "InvalidPrefillRequest",
    "PrefillRequest",
    "Provenance",
    "Role",
    "Scenario",
    "ScenarioInvalid",
    "ScenarioNotFound",
    "Source",
    "SourceInfo",
    "builtin_scenario",
    "check_scenario",
    "find_grant",
    "form_view",
    "is_next_of_kin",
    "load_scenario",
    "parse_scenario",
    "prefill",
    "router",
    "scenario_detail",
    "scenario_ids",
    "scenario_summary",
    "shareable_hits",
    "wait_all",
]
