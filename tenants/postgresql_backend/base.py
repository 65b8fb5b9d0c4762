"""django-tenants' PostgreSQL backend, without a needless SET search_path.

django-tenants forgets the connection's search path whenever a tenant is
selected, so with TENANT_LIMIT_SET_CALLS every request still pays a
``SET search_path`` round trip even when its lender's schema is the one
the connection already has (a request starts in public, then the API key
selects the lender, on a connection kept between requests). Here the
path last set on the server is remembered apart, and selecting a tenant
whose path it is sets nothing. It is forgotten on every event that can
undo or lose the SET: a rollback, a rollback to a savepoint, a failed
SET, a closed connection.
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.search_path_on_server: list[str] | None = None
        super().__init__(*args, **kwargs)

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        wanted = self._get_cursor_search_paths()
        if self.search_path_on_server is not None and (
            self.search_path_on_server == wanted
        ):
            self.search_path_set_schemas = wanted

    def _handle_search_path(self, cursor: Any = None) -> None:
        super()._handle_search_path(cursor)
        if not self._setting_search_path:
            self.search_path_on_server = self.search_path_set_schemas

    def close(self) -> None:
        self.search_path_on_server = None
        super().close()

    def rollback(self) -> None:
        self.search_path_on_server = None
        super().rollback()

    def savepoint_rollback(self, sid: str) -> None:
        self.search_path_on_server = None
        super().savepoint_rollback(sid)
