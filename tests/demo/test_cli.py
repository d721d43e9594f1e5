"""``tongban demo world`` and ``tongban demo grant``: the people by role and the grants the
seed recorded, printed bare for a shell (what the walkthrough's commands use instead of a JSON
tool), and a clear one-line error when the world, a role, a field or a grant is missing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.demo.conftest import REFERENCE
from tongban.cli import app
from tongban.demo.world import seed_demo
from tongban.settings import Settings
from tongban.wiring import Hub


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    return settings


@pytest.fixture
def world(env: Settings, hub: Hub) -> dict[str, Any]:
    return seed_demo(env, today=REFERENCE)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["demo", *args])


def test_a_roles_field_is_printed_bare_for_a_shell(world: dict[str, Any]) -> None:
    for role in ("mother", "father", "retiree"):
        result = invoke("world", "--role", role, "--field", "id_number")
        assert result.exit_code == 0, result.output
        assert result.stdout == world["roles"][role]["id_number"] + "\n"
    company = invoke("world", "--role", "company", "--field", "uscc")
    assert company.stdout == world["roles"]["company"]["uscc"] + "\n"


def test_a_role_and_the_summary_are_printed_as_json(world: dict[str, Any]) -> None:
    mother = invoke("world", "--role", "mother")
    assert mother.exit_code == 0, mother.output
    assert json.loads(mother.stdout) == world["roles"]["mother"]
    summary = json.loads(invoke("world").stdout)
    assert summary["roles"]["retiree"] == world["roles"]["retiree"]["id_number"]
    assert summary["grants"] == len(world["grants"])
    assert invoke("world", "--field", "hub").stdout == world["hub"] + "\n"


def test_a_grant_is_found_by_scenario_resource_and_the_items_it_must_hold(
    world: dict[str, Any],
) -> None:
    def held(resource: str, *items: str) -> dict[str, Any]:
        return next(
            g
            for g in world["grants"]
            if g["scenario"] == "retirement"
            and g["resource"] == resource
            and set(items) <= set(g["items"])
        )

    identity = invoke("grant", "retirement", "101001/000001")
    assert identity.exit_code == 0, identity.output
    assert identity.stdout == held("101001/000001")["grant"] + "\n"
    # the contribution detail is held under two grants: the base only under the conditional one
    base = ["--item", "contributions.base", "--item", "contributions.amount"]
    conditional = invoke("grant", "retirement", "201001/000003", *base)
    assert conditional.exit_code == 0, conditional.output
    expected = held("201001/000003", "contributions.base")
    assert conditional.stdout == expected["grant"] + "\n"
    assert expected["conditions"]
    months = invoke("grant", "retirement", "201001/000003", "--item", "contributions.month")
    assert months.stdout != conditional.stdout
    entry = invoke("grant", "retirement", "201001/000003", *base, "--json")
    assert json.loads(entry.stdout) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("world", "--role", "grandmother"), "no role 'grandmother' in the demo world; roles: "),
        (("world", "--role", "mother", "--field", "age"), "role 'mother' has no field 'age'"),
        (("grant", "retirement", "105001/000001"), "holds no grant for retirement on 105001"),
        (
            ("grant", "retirement", "101001/000001", "--item", "address"),
            "no grant for retirement on 101001/000001 holds address (the grants hold: name,",
        ),
    ],
)
def test_what_the_world_does_not_hold_is_a_one_line_error(
    world: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_without_a_seeded_world_the_commands_say_how_to_get_one(env: Settings) -> None:
    for args in (("world",), ("grant", "retirement", "101001/000001")):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "no demo world at" in result.stderr
        assert "tongban demo seed" in result.stderr
