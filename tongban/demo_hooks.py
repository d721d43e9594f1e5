"""What ``tongban run`` prepares beyond the API: demo seed data and long-running children."""

from __future__ import annotations

import sys

from tongban.cli.citizen import ensure_idp
from tongban.demo.world import seed_demo
from tongban.demo_catalog import seed_with_settings
from tongban.settings import Settings

Child = tuple[str, list[str]]


def prepare(seed: bool, env: dict[str, str]) -> list[Child]:
    """Load the demo when ``seed`` and return the children to start as (name, argv): the
    deadline job always; with the demo, the market regulation interface and one provider
    agent per demo department."""
    settings = Settings.from_env(env)
    ensure_idp(settings)  # the demo identity provider's key pair and JWKS
    children: list[Child] = [("deadlines", _tongban("deadlines", "--every", "60"))]
    if not seed:
        return children
    seed_with_settings(settings)  # departments and the published catalog
    world = seed_demo(settings)  # their data, systems, agents' configurations and grants
    provisional = world["calendar"]["provisional_years"]
    if provisional:
        print(
            f"demo: the official working-day schedule of {provisional} is not known; the demo's "
            "own applications were counted on a provisional Monday-to-Friday year, and the hub "
            "refuses new applications whose deadline falls there (docs/demo.md)",
            file=sys.stderr,
        )
    children.append(("market-service", _tongban("demo", "market-service")))
    for system_id, entry in world["systems"].items():
        if entry["agent_config"]:
            argv = _tongban("agent", "--system", system_id, "--config", entry["agent_config"])
            children.append((f"agent-{entry['department']}", argv))
    return children


def _tongban(*args: str) -> list[str]:
    return [sys.executable, "-m", "tongban", *args]
