"""The web server's settings (config/gunicorn.py), as `make run` checks
them before it starts anything."""

from __future__ import annotations

import pytest

from config.devenv import ROOT, web_settings_check

GUNICORN_CONFIG = str(ROOT / "config" / "gunicorn.py")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_CONCURRENCY", "abc"),
        ("WEB_CONCURRENCY", "2.5"),
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "99999999999999999999"),
        ("WEB_THREADS", "abc"),
        ("WEB_THREADS", "1_0"),
        ("WEB_THREADS", "\u0663"),
        ("WEB_MAX_REQUESTS", "-1"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_it(
    monkeypatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as stopped:
        web_settings_check()

    message = str(stopped.value)
    assert message.startswith(f"jinqiao: configuration error: {name}: ")
    assert value in message
    assert "\n" not in message


def test_processes_default_to_one_per_cpu_and_a_blank_value_means_the_default(
    monkeypatch,
) -> None:
    import os
    import runpy

    from config.envnumbers import usable_cpus

    monkeypatch.setenv("WEB_CONCURRENCY", " ")

    web_settings_check()

    assert "WEB_CONCURRENCY" not in os.environ  # gunicorn's int("") would fail
    assert runpy.run_path(GUNICORN_CONFIG)["workers"] == usable_cpus()
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(GUNICORN_CONFIG)["workers"] == 3
