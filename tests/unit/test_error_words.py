"""What a page says of an error (`workflow.errors.said`) beside what the command line prints."""

from __future__ import annotations

from states.lifecycle import DossierState
from states.refusal import EventRefused
from workflow.errors import InvalidInput, Refused, message, said


def test_a_refusal_reads_as_its_reasons_without_options_or_event_codes():
    refused = EventRefused("withdraw", DossierState.instruction,
                           ["le motif du retrait est obligatoire (--reason)"], later=True)
    assert "(--reason)" in message(refused) and "Actions possibles" in message(refused)
    assert said(refused) == "le motif du retrait est obligatoire"


def test_bad_input_in_a_field_reads_as_that_fields_own_words():
    wrong = InvalidInput("« 12 € » n'est pas un montant en euros", field="amount")
    assert message(wrong).startswith("amount : ") and said(wrong) == (
        "« 12 € » n'est pas un montant en euros")
    assert said(InvalidInput("date de session manquante (AAAA-MM-JJ)", field="--session")) == (
        "date de session manquante (AAAA-MM-JJ)")  # a date's format is no option: kept


def test_what_names_no_field_keeps_its_words_less_the_command_lines_options():
    in_a_file = InvalidInput("texte attendu", field="title", file="dossier.json")
    assert said(in_a_file) == "dossier.json : title : texte attendu"
    who = InvalidInput("indiquer qui agit (--actor EMAIL ou COMITE_ACTOR)", field="--actor")
    assert said(who) == "indiquer qui agit"
    stale = Refused("conflit : relire le dossier (comite dossier show BZH-2021-0001) et "
                    "recommencer")
    assert said(stale) == "conflit : relire le dossier et recommencer"


def test_a_count_agrees_with_its_words_as_french_agrees_them_never_with_an_s_in_brackets():
    from workflow.french import count_fr

    assert count_fr(0, "dossier") == "0 dossier" and count_fr(1, "dossier") == "1 dossier"
    assert count_fr(2, "dossier") == "2 dossiers"
    assert count_fr(1200, "lauréat") == "1\u202f200 lauréats"
    assert count_fr(3, "ligne refusée", "lignes refusées") == "3 lignes refusées"
    assert count_fr(1, "dossier à l'ordre du jour", "dossiers à l'ordre du jour") == (
        "1 dossier à l'ordre du jour")


def test_a_message_on_a_page_starts_as_a_sentence_but_a_name_it_starts_with_is_kept():
    from workflow.french import sentence

    assert sentence("le motif du retrait est obligatoire") == "Le motif du retrait est obligatoire"
    assert sentence("état inconnu") == "État inconnu" and sentence("l'ordre") == "L'ordre"
    assert sentence("revise.json : pas du JSON") == "revise.json : pas du JSON"
    assert sentence("BZH-2021-0001 et EPCI") == "BZH-2021-0001 et EPCI"  # nothing lowered
    assert sentence("o@example.org : inconnu") == "o@example.org : inconnu"
