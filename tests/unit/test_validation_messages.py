"""Every error pydantic can raise reads in French: none of its English reaches a person."""

from __future__ import annotations

import typing

import pytest
from pydantic_core import ValidationError, core_schema

from workflow.validation import french

KINDS = typing.get_args(core_schema.ErrorType)


@pytest.mark.parametrize("kind", KINDS)
def test_no_kind_of_validation_error_is_shown_in_pydantics_english(kind):
    english = f"Input should be what pydantic says of {kind}"
    said = french({"type": kind, "msg": english, "ctx": {"error": "(du français)"},
                   "input": "x", "loc": ("title",)})
    assert said and "pydantic" not in said and "Input should" not in said


def test_a_text_that_is_no_text_is_said_so_in_french():
    from workflow.forms import DossierForm

    with pytest.raises(ValidationError) as raised:
        DossierForm.model_validate({"title": "Projet \ud800"})
    found = next(e for e in raised.value.errors() if e["loc"] == ("title",))
    assert french(found) == "texte invalide (caractère qui n'en est pas un)"
