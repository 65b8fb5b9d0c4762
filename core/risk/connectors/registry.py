"""Build the connector a tenant's setting asks for."""

from __future__ import annotations

from dataclasses import dataclass

from core.risk.connectors import live, sandbox
from core.risk.connectors.base import Connector

LIVE: dict[str, type[live.HttpConnector]] = {
    "pboc": live.PbocCreditConnector,
    "baihang": live.BaihangCreditConnector,
    "identity": live.IdentityConnector,
    "turnover": live.TurnoverConnector,
}
SANDBOX: dict[str, type[Connector]] = {
    "pboc": sandbox.SandboxPbocConnector,
    "baihang": sandbox.SandboxBaihangConnector,
    "identity": sandbox.SandboxIdentityConnector,
    "turnover": sandbox.SandboxTurnoverConnector,
}
# Order matters: an earlier source's value wins over a later one's.
NAMES = ("pboc", "baihang", "identity", "turnover")
ENABLED_BY_DEFAULT = frozenset({"pboc", "identity", "turnover"})
CONNECTOR_KINDS = {name: SANDBOX[name].kind for name in NAMES}


def connector_kind(name: str) -> str:
    """Return the kind (bureau, identity, turnover) of source ``name``."""
    return CONNECTOR_KINDS[name]


@dataclass(frozen=True)
class ConnectorConfig:
    name: str
    mode: str  # sandbox or live
    base_url: str = ""
    timeout: float = 5.0
    retries: int = 2
    cache_hours: int = 24 * 7


def connector_build(config: ConnectorConfig) -> Connector:
    """Return the live or sandbox connector ``config`` names."""
    if config.mode == "live":
        return LIVE[config.name](
            base_url=config.base_url, timeout=config.timeout, retries=config.retries
        )
    return SANDBOX[config.name]()
