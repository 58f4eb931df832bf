"""Rows of hand-written SQL as model instances, for the public form's hot reads.

Each model's columns (in ``concrete_fields`` order) and the converters the ORM would apply
to them are worked out once per process from the model's own fields; a query then costs
its round trip and those conversions, not the ORM's compile of the same statement on every
request (issue 18, finding 9: most of the opt-in form's CPU was compiling queries).
"""

import functools
from typing import TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


@functools.cache
def _shape(model: type[Model]) -> tuple[list[str], list]:
    fields = list(model._meta.concrete_fields)
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        fns = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if fns:
            converters.append((i, col, fns))
    return [f.attname for f in fields], converters


def columns(model: type[Model], alias: str) -> str:
    """The model's columns for a SELECT list, in the order ``instance`` reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[M], values) -> M:
    """The model instance of one row's ``columns(model)`` values, converted as the ORM does."""
    names, converters = _shape(model)
    values = list(values)
    for i, col, fns in converters:
        value = values[i]
        for fn in fns:
            value = fn(value, col, connection)
        values[i] = value
    return model.from_db(connection.alias, names, values)
