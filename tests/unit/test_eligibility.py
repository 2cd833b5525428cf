"""A guichet's eligibility rules and flat amounts applied to a candidate."""

from __future__ import annotations

from datetime import date

from states.eligibility import Candidate, Exclusion, Forfait, forfait_for, normalise, problems

URBANISME = Exclusion("urbanisme", "autorisations d'urbanisme", ("autorisations d'urbanisme",))
GED = Exclusion("axe2", "axe 2", ("GED",))
RULES = dict(eligible_kinds=("commune", "epci"), measures=("3a", "3b", "3c"),
             results_deadline=date(2022, 12, 31), exclusions=(URBANISME, GED))


def candidate(**changes):
    values = dict(kind="commune", measure="3c", title="Portail citoyen",
                  presentation="Prise de rendez-vous en ligne", end_date=date(2022, 6, 30))
    values.update(changes)
    return Candidate(**values)


def test_an_ordinary_project_is_eligible():
    assert problems(candidate(), **RULES) == ()


def test_exclusions_match_words_whatever_the_accents_and_case():
    found = problems(candidate(presentation="Dématérialiser les AUTORISATIONS d’urbanisme"),
                     **RULES)
    assert len(found) == 1 and "autorisations d'urbanisme" in found[0]


def test_a_keyword_inside_another_word_does_not_match():
    assert problems(candidate(title="Budget participatif"), **RULES) == ()
    assert problems(candidate(title="Mise en place d'une GED"), **RULES) != ()


def test_kind_measure_and_deadline_each_give_a_reason():
    found = problems(candidate(kind="syndicat", measure="3d", end_date=date(2023, 1, 1)), **RULES)
    assert len(found) == 3
    assert "31/12/2022" in found[2]


FORFAITS = (
    Forfait("3a", ("commune",), 500_000, population_below=5000),
    Forfait("3a", ("commune",), 1_000_000),
    Forfait("3a", ("region", "departement", "epci"), 2_000_000),
)


def test_forfaits_follow_kind_and_population_in_table_order():
    assert forfait_for(FORFAITS, "3a", "commune", 2900) == 500_000
    assert forfait_for(FORFAITS, "3a", "commune", 5000) == 1_000_000
    assert forfait_for(FORFAITS, "3a", "commune", None) == 1_000_000
    assert forfait_for(FORFAITS, "3a", "epci", 42_000) == 2_000_000
    assert forfait_for(FORFAITS, "3c", "commune", 2900) is None
    assert forfait_for(FORFAITS, "3a", "syndicat", 100) is None


def test_titles_normalise_for_comparison():
    assert normalise("  Portail  Citoyen — Étape 2 ") == normalise("portail citoyen etape 2")
