"""The form adapter: a page receives its domain's ``schemas.py`` model, as the API does.

``form: Annotated[FormInput[TeamCreate], form_model(TeamCreate)]`` reads the submitted form (or, for a
GET form, the query string) into ``TeamCreate`` with the model's own validation. When the input breaks
a rule the route still runs: ``form.errors`` maps each field to a message naming it (the wording the API
gives for the same input, :func:`deliveryops.errors.validation_failed`) and ``form.values`` holds what
was typed, so the page re-renders with the person's input and a message beside each field.

How a form names its inputs (the model's field names, as the API's JSON does):

- ``title``: a field. Empty text is ``""`` for a text field, ``None`` for a field that may be empty,
  and the field's default otherwise.
- ``variations.0.name``, ``variations.1.name``: rows of a list of models, numbered from 0. Rows whose
  required fields are all empty and whose yes/no choices are at their defaults (the spare rows a page
  offers) are left out.
- ``variations.*.is_control`` with value ``1``: a radio button choosing one row; the chosen row's field
  is true, the others' false.
- ``cuped``: a checkbox; absent means false (on a GET form, absent means the default).
- Whole numbers may carry thousands separators (``2,500``; ``12 000``); numbers may use a decimal
  comma (``0,05``); a field marked :class:`deliveryops.schemas.FormScale` is shown scaled (a share as a
  percentage) and may end with ``%``.
- ``tags=a&tags=b``: a list of values (a domain's model may also split ``"a, b"`` itself).

The adapter checks the CSRF token of every form it reads from a POST (as ``CsrfChecked`` does).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from deliveryops.errors import ValidationFailedError, validation_failed
from deliveryops.schemas import FormScale
from deliveryops.web.security import SAFE_METHODS, check_csrf

__all__ = ["FormInput", "form_model", "form_values", "read_form"]

M = TypeVar("M", bound=BaseModel)

_TRUE = frozenset({"on", "true", "1", "yes"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class FormInput(Generic[M]):
    """What a page's form held.

    Attributes:
        model: the validated model, or None when the input broke a rule.
        values: what was typed, shaped like the model (rows as lists of dicts), to fill the form again.
        errors: dotted field name → message, for each field that broke a rule.
        submitted: False for a GET form shown without any of its fields in the query string.
        data: what was read for the model, before its validation.
    """

    model: M | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    submitted: bool = True
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def valid(self) -> bool:
        """Whether the input passed the model's validation."""
        return self.model is not None and not self.errors

    def validated(self) -> M:
        """The model; raises the :class:`ValidationFailedError` the API would give for the same input."""
        if self.model is None or self.errors:
            message = " ".join(dict.fromkeys(self.errors.values())) or "The input is not valid."
            raise ValidationFailedError(message, fields=dict(self.errors))
        return self.model

    def or_defaults(self, model: type[M]) -> M:
        """The model, each field that broke a rule at its default: a filter form shows what it can.

        The messages stay in ``errors``; when even the defaults break a rule, the model's defaults alone.
        """
        if self.model is not None:
            return self.model
        broken = {key.split(".")[0] for key in self.errors}
        try:
            return model.model_validate({key: value for key, value in self.data.items() if key not in broken})
        except ValidationError:
            return model()

    def errors_with(self, error: ValidationFailedError, *, key: str = "form") -> dict[str, str]:
        """The messages to show after a service refused the input: its fields', or its message under ``key``."""
        return {**self.errors, **(error.fields or {key: error.message})}


@dataclass(frozen=True)
class _Shape:
    kind: str  # rows, model, list, bool, int, float, text, other
    nullable: bool
    model: type[BaseModel] | None = None
    scale: float | None = None


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _shape(info: FieldInfo) -> _Shape:
    annotation = _strip_annotated(info.annotation)
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [_strip_annotated(a) for a in get_args(annotation)]
        nullable = type(None) in members
        members = [m for m in members if m is not type(None)]
        annotation = members[0] if len(members) == 1 else object
    scale = next((m.factor for m in info.metadata if isinstance(m, FormScale)), None)
    if get_origin(annotation) in (list, tuple, set, frozenset):
        arguments = get_args(annotation)
        item = _strip_annotated(arguments[0]) if arguments else str
        if isinstance(item, type) and issubclass(item, BaseModel):
            return _Shape("rows", nullable, model=item)
        return _Shape("list", nullable)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _Shape("model", nullable, model=annotation)
        if issubclass(annotation, bool):
            return _Shape("bool", nullable)
        if issubclass(annotation, int) and not issubclass(annotation, Enum):
            return _Shape("int", nullable, scale=scale)
        if issubclass(annotation, float):
            return _Shape("float", nullable, scale=scale)
        if issubclass(annotation, str) and not issubclass(annotation, Enum):
            return _Shape("text", nullable)
        if issubclass(annotation, date | datetime | Enum):
            return _Shape("other", nullable)
    return _Shape("other", nullable)


def _tree(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Form pairs into a tree: ``a.0.b=x`` → ``{"a": {"0": {"b": ["x"]}}}``; leaves list repeated values."""
    root: dict[str, Any] = {}
    for key, given in pairs:
        if key == "csrf_token":
            continue
        parts, value = key.split("."), given
        if "*" in parts and isinstance(given, str):
            parts[parts.index("*")] = given.strip()  # a radio button choosing one row
            value = "on"
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            leaf = node.setdefault(parts[-1], [])
            if isinstance(leaf, list):
                leaf.append(value)
    return root


def _number(text: str, shape: _Shape) -> Any:
    """A typed number as a number, or the text as typed when it is none (the model then names the field)."""
    cleaned = text.strip().replace("_", "").replace("\u00a0", "").replace(" ", "")
    if shape.scale is not None:
        cleaned = cleaned.removesuffix("%").strip()
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif shape.kind == "float" and cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma
    try:
        value: float = int(cleaned) if shape.kind == "int" else float(cleaned)
    except ValueError:
        return text
    if shape.scale is not None:
        return value / shape.scale
    return value


def _last(raw: Any) -> Any:
    return raw[-1] if isinstance(raw, list) and raw else raw


def _is_blank_row(tree: Mapping[str, Any], model: type[BaseModel]) -> bool:
    """A spare row: its required fields are all empty and none of its yes/no choices differs from its default.

    A ticked checkbox or a chosen radio button (the control row) keeps a row; a select offering
    ``true``/``false`` left at the field's default does not.
    """
    required = [info.alias or name for name, info in model.model_fields.items() if info.is_required()]
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in tree and _shape(info).kind == "bool":
            ticked = str(_last(tree[key]) or "").strip().lower() in _TRUE
            if info.is_required() or ticked != bool(info.get_default()):
                return False
    keys = required or list(tree)
    return all(not str(_last(tree.get(key)) or "").strip() for key in keys)


def _convert(tree: Mapping[str, Any], model: type[BaseModel], *, absent_is_false: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data to validate and the values to show again, for one level of the form."""
    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        shape = _shape(info)
        raw = tree.get(key)
        if shape.kind == "rows" and shape.model is not None:
            if not isinstance(raw, dict):
                continue
            rows_data: list[dict[str, Any]] = []
            rows_values: list[dict[str, Any]] = []
            for index in sorted((k for k in raw if k.isdigit()), key=int):
                row = raw[index]
                if not isinstance(row, dict) or _is_blank_row(row, shape.model):
                    continue
                row_data, row_values = _convert(row, shape.model, absent_is_false=True)
                rows_data.append(row_data)
                rows_values.append(row_values)
            data[key], values[key] = rows_data, rows_values
        elif shape.kind == "model" and shape.model is not None:
            if isinstance(raw, dict):
                data[key], values[key] = _convert(raw, shape.model, absent_is_false=absent_is_false)
        elif shape.kind == "list":
            if isinstance(raw, list):
                texts = [v for v in raw if not isinstance(v, str) or v.strip()]
                data[key] = texts
                values[key] = ", ".join(v for v in raw if isinstance(v, str) and v.strip())
        elif shape.kind == "bool":
            if raw is None:
                if absent_is_false:
                    data[key], values[key] = False, False
                continue
            text = _last(raw)
            data[key] = text
            values[key] = isinstance(text, str) and text.strip().lower() in _TRUE
        elif raw is not None:
            text = _last(raw)
            values[key] = text
            if not isinstance(text, str):
                data[key] = text  # an uploaded file
            elif not text.strip():
                if shape.kind == "text":
                    data[key] = text
                elif shape.nullable:
                    data[key] = None
                # otherwise left out: the field's default applies, or the model names it as required
            elif shape.kind in ("int", "float"):
                data[key] = _number(text, shape)
            else:
                data[key] = text
    return data, values


def read_form(pairs: Iterable[tuple[str, Any]], model: type[M], *, whole_form: bool = True) -> FormInput[M]:
    """Read form pairs into ``model``.

    Args:
        pairs: the submitted names and values, in order (repeated names repeat).
        model: the domain's schema.
        whole_form: True for a submitted form (an absent checkbox is false); False for a GET form in the
            query string (an absent field keeps its default, and a query with none of the model's fields
            is "not submitted").

    Returns:
        The model or the messages per field, and the values to show again.
    """
    tree = _tree(pairs)
    data, values = _convert(tree, model, absent_is_false=whole_form)
    submitted = whole_form or any((info.alias or name) in tree for name, info in model.model_fields.items())
    try:
        return FormInput(model=model.model_validate(data), values=values, submitted=submitted, data=data)
    except ValidationError as exc:
        error = validation_failed(exc.errors(), model)
        return FormInput(model=None, values=values, errors=error.fields, submitted=submitted, data=data)


def form_model(model: type[M]) -> Any:
    """The dependency that gives a page route its form as ``FormInput[model]`` (POST forms are CSRF-checked).

    Use it as ``form: Annotated[FormInput[ThingCreate], form_model(ThingCreate)]``.
    """

    async def read(request: Request) -> FormInput[M]:
        if request.method in SAFE_METHODS:
            return read_form(request.query_params.multi_items(), model, whole_form=False)
        form = await request.form()
        token = form.get("csrf_token")
        check_csrf(request, token if isinstance(token, str) else None)
        return read_form(form.multi_items(), model)

    read.__name__ = f"read_{model.__name__}_form"
    return Depends(read)


def _shown(value: Any, scale: float | None) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float | int) and scale is not None:
        return f"{value * scale:g}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def form_values(instance: BaseModel) -> dict[str, Any]:
    """A model's values as a form shows them (the edit form of an existing thing).

    Numbers and dates as text, absent values as empty text, lists of values joined with ", ", rows as
    lists of dicts, scaled fields scaled.
    """
    values: dict[str, Any] = {}
    for name, info in type(instance).model_fields.items():
        key = info.alias or name
        value = getattr(instance, name)
        shape = _shape(info)
        if shape.kind == "rows":
            values[key] = [form_values(row) for row in value or []]
        elif shape.kind == "model" and isinstance(value, BaseModel):
            values[key] = form_values(value)
        elif shape.kind == "list":
            values[key] = ", ".join(str(_shown(v, None)) for v in value or [])
        else:
            values[key] = _shown(value, shape.scale)
    return values
