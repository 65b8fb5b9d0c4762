"""Refuse query parameters an endpoint does not take (422 naming each).

ninja keeps only the query parameters an operation declares and drops the
rest without a word, so a misspelt filter (``created_afer``) or one an
endpoint lacks answered an unfiltered list. Unknown body fields are
refused; so are unknown query parameters, and a parameter given twice
(none takes a list), for every operation, here.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.operation import Operation

from apiv1.errors import shown
from core.errors import InvalidInput

MAX_NAME_SHOWN = 60


class StrictQueryOperation(Operation):
    """An operation that refuses query parameters it does not declare."""

    @cached_property
    def query_names(self) -> frozenset[str]:
        """Return the query parameters the operation declares.

        Computed on first use: ninja clones operations when a router is
        added to the API, and a clone keeps the class, not other attributes.
        """
        return frozenset(
            name
            for model in self.models
            if model.__ninja_param_source__ == "query"
            for name in getattr(model, "__ninja_flatten_map__", {})
        )

    def _get_values(
        self, request: HttpRequest, path_params: Any, temporal_response: HttpResponse
    ) -> dict[str, Any]:
        unknown = [name for name in request.GET if name not in self.query_names]
        if unknown:
            raise _unknown_parameters(unknown, self.query_names)
        # Every parameter takes one value: ninja kept the last of several
        # (``?status=approved&status=rejected`` listed the rejected only).
        repeated = [name for name, values in request.GET.lists() if len(values) > 1]
        if repeated:
            raise _repeated_parameters(repeated)
        return super()._get_values(request, path_params, temporal_response)


def _unknown_parameters(unknown: list[str], known: frozenset[str]) -> InvalidInput:
    taken = ", ".join(sorted(known)) or "none"
    fields = {
        shown(
            name, MAX_NAME_SHOWN
        ): f"is not a query parameter of this endpoint (it takes: {taken})"
        for name in unknown
    }
    first = next(iter(fields))
    return InvalidInput(f"{first}: {fields[first]}", fields=fields)


def _repeated_parameters(repeated: list[str]) -> InvalidInput:
    fields = {
        shown(name, MAX_NAME_SHOWN): "is given more than once; it takes one value"
        for name in repeated
    }
    first = next(iter(fields))
    return InvalidInput(f"{first}: {fields[first]}", fields=fields)


def query_strict_install(router: Router) -> None:
    """Make every operation of ``router`` refuse unknown query parameters.

    Call once routes are declared. Raises ImproperlyConfigured for an
    operation of another class (an async one) rather than leave it lax.
    """
    for view in router.path_operations.values():
        for operation in view.operations:
            if type(operation) is not Operation:
                raise ImproperlyConfigured(
                    f"{operation.path}: only sync operations refuse unknown "
                    "query parameters"
                )
            operation.__class__ = StrictQueryOperation
