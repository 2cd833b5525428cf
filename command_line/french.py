"""The command line's own words in French: Click's and Typer's help, usage and error texts.

Neither library ships a French catalogue (recent Typer carries its own copy of Click, with its
strings written in the code), so the words they print are translated here, in one table, on the
finished text: the help screens through the command classes below, the usage errors where the
command line turns errors into messages.
"""

import re
from functools import cache
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

_RANGE = r"(-?[\d.]+)<=x<=(-?[\d.]+)"

# (pattern, replacement), applied in order to help screens and usage errors alike.
WORDS: tuple[tuple[str, str], ...] = (
    (r"^Usage: ", "Utilisation : "),
    (r"\bCOMMAND \[ARGS\]\.\.\.", "COMMANDE [ARGUMENTS]..."),
    (r"^Options:$", "Options :"),
    (r"^Commands:$", "Commandes :"),
    (r"^Arguments:$", "Arguments :"),
    (r"Show this message and exit\.", "Afficher cette aide et quitter."),
    (r"(?<=[\[; ])required(?=\])", "obligatoire"),
    (r"\[default: ", "[par défaut : "),
    (rf"(?<=[\[; ]){_RANGE}(?=[\];])", r"de \1 à \2"),
    (r"(?<=[\[; ])x>=(-?[\d.]+)(?=[\];])", r"au moins \1"),
    (r"(?<=[\[; ])x<=(-?[\d.]+)(?=[\];])", r"au plus \1"),
    (r"<str>|\bTEXT\b", "TEXTE"),
    (r"<int(?: range)?>|\bINTEGER(?: RANGE)?\b", "N"),
    (r"<float(?: range)?>|\bFLOAT(?: RANGE)?\b", "NOMBRE"),
    (r"<path>|\bPATH\b|\bFILE\b", "FICHIER"),
    (r"<bool>|\bBOOLEAN\b", "OUI/NON"),
    # usage errors
    (r"^Missing argument '([^']+)'\.", r"argument manquant : \1"),
    (r"^Missing option '([^']+)'\.", r"option obligatoire manquante : \1"),
    (r"^Missing parameter: (.+)", r"paramètre manquant : \1"),
    (r"^Missing command\.", "commande manquante"),
    (r"^No such option: (\S+)", r"option inconnue : \1"),
    (r"Did you mean (\S+)\?", r"vouliez-vous dire \1 ?"),
    (r"\(Possible options: ([^)]*)\)", r"(options possibles : \1)"),
    (r"^No such command '([^']+)'\.", r"commande inconnue : « \1 »"),
    (r"^Got unexpected extra arguments?(?:\(s\))? \((.*)\)", r"argument en trop : \1"),
    (r"^Option '([^']+)' requires an argument\.", r"l'option \1 attend une valeur"),
    (r"^Option '([^']+)' requires (\d+) arguments\.", r"l'option \1 attend \2 valeurs"),
    (r"^Option '([^']+)' does not take a value\.", r"l'option \1 ne prend pas de valeur"),
    (r"^Invalid value for '?([^':]+)'?: ", r"valeur invalide pour \1 : "),
    (r"'([^']*)' is not a valid integer( range)?\.", r"« \1 » n'est pas un nombre entier"),
    (r"'([^']*)' is not a valid float( range)?\.", r"« \1 » n'est pas un nombre"),
    (r"'([^']*)' is not a valid boolean\.", r"« \1 » n'est pas oui ou non"),
    (rf"(\S+) is not in the range {_RANGE}\.", r"\1 n'est pas entre \2 et \3"),
    (r"(\S+) is not in the range x>=(-?[\d.]+)\.", r"\1 est inférieur à \2"),
    (r"(\S+) is not in the range x<=(-?[\d.]+)\.", r"\1 est supérieur à \2"),
    (r"'([^']*)' is not one of (.+)\.", r"« \1 » n'est pas l'une des valeurs \2"),
    (r"(File|Path|Directory) '([^']*)' does not exist\.", r"« \2 » n'existe pas"),
    (r"(File|Path) '([^']*)' is a directory\.", r"« \2 » est un dossier"),
    (r"^Aborted!", "Interrompu."),
    # recent Typer checks values with pydantic
    (r"Input should be greater than or equal to (\S+)", r"doit être au moins \1"),
    (r"Input should be less than or equal to (\S+)", r"doit être au plus \1"),
    (r"Input should be greater than (\S+)", r"doit être supérieur à \1"),
    (r"Input should be less than (\S+)", r"doit être inférieur à \1"),
    (r"Input should be a valid integer[^(]*", "doit être un nombre entier"),
    (r"Input should be a valid number[^(]*", "doit être un nombre"),
    (r"Input should be a valid boolean[^(]*", "doit être oui ou non"),
)


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Compiled on the first help screen or error, not at every start."""
    return tuple((re.compile(pattern, re.MULTILINE), french) for pattern, french in WORDS)


def french(text: str) -> str:
    """``text`` with every phrase of Click and Typer it contains put in French."""
    for pattern, replacement in _compiled():
        text = pattern.sub(replacement, text)
    return text


class _French:
    """Help and usage of a command or group, put in French once Click has written them."""

    def get_help(self, ctx: Any) -> str:
        return french(super().get_help(ctx))  # type: ignore[misc]

    def get_usage(self, ctx: Any) -> str:
        return french(super().get_usage(ctx))  # type: ignore[misc]


class Command(_French, TyperCommand):
    pass


class Group(_French, TyperGroup):
    pass


class Typer(typer.Typer):
    """A Typer app whose groups and commands speak French."""

    def __init__(self, *, command_class: type[Command] = Command, **settings: Any) -> None:
        settings.setdefault("no_args_is_help", True)
        super().__init__(cls=Group, add_completion=False, rich_markup_mode=None,
                         pretty_exceptions_enable=False, **settings)
        self.command_class = command_class

    def command(self, *args: Any, **settings: Any) -> Any:
        settings.setdefault("cls", self.command_class)
        return super().command(*args, **settings)
