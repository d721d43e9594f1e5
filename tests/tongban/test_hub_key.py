"""The hub's signing key: made once, whole, however many hub processes start side by side."""

from __future__ import annotations

import threading
from pathlib import Path

from kit.crypto import create_private_key_file, load_private_key, public_jwk
from tongban.settings import Settings
from tongban.wiring import load_or_create_hub_key


def test_a_key_file_is_created_once_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "hub.pem"
    assert create_private_key_file(path)
    first = public_jwk(load_private_key(path))
    assert not create_private_key_file(path)
    assert public_jwk(load_private_key(path)) == first
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["hub.pem"]  # nothing left aside


def test_hub_processes_starting_together_all_get_the_one_key_on_disk(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path}/x.db")
    starting = 8
    gate = threading.Barrier(starting)
    kids: list[str] = []
    errors: list[BaseException] = []

    def start() -> None:
        gate.wait()
        try:
            kids.append(load_or_create_hub_key(settings).kid)
        except BaseException as exc:  # a half-written key file would fail to load
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(starting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    on_disk = public_jwk(load_private_key(settings.resolved_hub_key_file))["kid"]
    assert kids == [on_disk] * starting
