"""One Jinja2 environment: HTML autoescaped, undefined variables are errors, subjects one line;
French typography (workflow.french) on every part."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workflow.french import FILTERS, typography

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(override: str | None = None) -> Environment:
    """The environment; a guichet may put its own templates first in ``override``."""
    loaders = [FileSystemLoader(override)] if override else []
    env = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # compiled once per process: no file looked at again at each message (a guichet's
        # edited templates are read at the next start)
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


def one_line(text: str) -> str:
    """No CR/LF (or other control characters) may reach a header."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()


def render(name: str, context: dict[str, Any], *, override: str | None = None,
           ) -> tuple[str, str, str, str | None]:
    """Subject, plain text, HTML and calendar invitation (or None) of message ``name``."""
    from notifications.ics import from_context

    env = environment(override)
    subject = typography(one_line(env.get_template(f"{name}.subject.j2").render(context)))
    text = typography(env.get_template(f"{name}.txt.j2").render(context))
    html = typography(env.get_template(f"{name}.html.j2").render(context))
    return subject, text, html, from_context(context)


def names() -> list[str]:
    return sorted(p.name.removesuffix(".subject.j2") for p in TEMPLATES.glob("*.subject.j2"))
