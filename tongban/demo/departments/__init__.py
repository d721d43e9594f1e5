"""The eight demo provider departments, each writing its data in its own source and shape
and naming the resources its agent serves (see ``docs/demo.md``)."""

from __future__ import annotations

from tongban.demo.departments import civil, fund, health, hrss, market, medical, nature, police
from tongban.demo.facts import World
from tongban.demo.sources import Holding

MODULES = (police, health, civil, hrss, medical, market, nature, fund)


def holdings(world: World, market_url: str) -> list[Holding]:
    """What each department holds and serves; ``market_url`` is the market regulation
    interface's base URL (``http://127.0.0.1:<port>``)."""
    return [module.holding(world, market_url) for module in MODULES]
