"""Pages with a form: show the form, and submit it.

A form page is its template with two more variables: ``values`` (what to fill the form with) and
``errors`` (field name → message shown beside the field). :func:`form_page` renders one.

:func:`submit_form` is the POST side, the same for every form read through
:func:`deliveryops.web.forms.form_model` (which has already checked the CSRF token):

- the form's model (``form.validated()``) goes to the service;
- when the model or the service refuses the input (:class:`ValidationFailedError`, and
  :class:`ConflictError` where asked), the session is rolled back and the page is shown again with
  what was typed and a message beside each field (422, or the status given for a conflict);
- otherwise the browser is sent on with a 303 (so a reload does not submit again), or a page is shown.

A domain's page module keeps what is its own: the template and what the page shows (its ``_page``
function, whose last arguments are ``values, errors, status``), the service call, and where to go next.
docs/architecture.md shows a page written with both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.web.forms import FormInput
from deliveryops.web.templating import render

__all__ = ["ShowAgain", "form_page", "submit_form"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


class ShowAgain(Protocol):
    """The page that shows the form again: ``again(values, errors, status)``."""

    def __call__(self, values: dict[str, Any], errors: dict[str, str], status: int, /) -> Response: ...


def form_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """Render a page holding a form.

    Args:
        request: the current request.
        template: the template's path, such as ``"risks/form.html"``.
        context: what the page shows besides the form's input.
        values: what to fill the form with (empty: the form's defaults).
        errors: field name → message, shown beside each field.
        status: the HTTP status (422 when the input was refused).

    Returns:
        The HTML response.
    """
    return render(request, template, {**context, "values": values or {}, "errors": errors or {}}, status_code=status)


def submit_form(
    session: Session,
    form: FormInput[M],
    act: Callable[[M], R],
    *,
    done: str | Callable[[R], str | Response],
    again: ShowAgain,
    conflict_status: int | None = None,
) -> Response:
    """Hand a submitted form to the service; show the form again when the input is refused.

    Args:
        session: the request's database session (rolled back when the input is refused).
        form: the form as read by ``form_model`` (its CSRF token already checked).
        act: calls the service with the validated model; what it returns goes to ``done``.
        done: where to send the browser (303), or a function of ``act``'s result giving that address
            or the response to show.
        again: shows the form again with what was typed, the messages and the status.
        conflict_status: when given, a :class:`ConflictError` is shown too: its message under ``form``,
            with this status (otherwise it goes to the error pages).

    Returns:
        The redirect, the page ``done`` gave, or the form again.
    """
    try:
        result = act(form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        return again(form.values, form.errors_with(exc), 422)
    except ConflictError as exc:
        if conflict_status is None:
            raise
        session.rollback()
        return again(form.values, {"form": exc.message}, conflict_status)
    target = done if isinstance(done, str) else done(result)
    return RedirectResponse(target, status_code=303) if isinstance(target, str) else target
