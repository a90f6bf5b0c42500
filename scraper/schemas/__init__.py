"""JSON Schemas of what errwatch writes for other programs: the catalogue and report.json.

Shipped as package data; ``errwatch schema catalogue|report`` prints them.  The tests
validate every catalogue and report.json errwatch writes against them (jsonschema is a
test dependency only; ``scraper.catalogue.load_catalogue`` checks the same structure in
code at run time).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["SCHEMAS", "load_schema", "schema_text"]

SCHEMAS: tuple[str, ...] = ("catalogue", "report")


def schema_text(name: str) -> str:
    """The schema file's text (``catalogue`` or ``report``)."""
    if name not in SCHEMAS:
        from scraper.errors import UsageError

        raise UsageError(f"unknown schema {name!r}; use: {', '.join(SCHEMAS)}")
    return resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")


def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(name))
    return data
