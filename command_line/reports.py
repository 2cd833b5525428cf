"""`comite report monthly` and `comite stats`."""

from pathlib import Path
from typing import Annotated

import typer

from command_line.french import Typer
from command_line.main import Json, Scoped, app, emit, reading

report_app = Typer(help="Ce que la préfecture transmet.", command_class=Scoped)
app.add_typer(report_app, name="report")

AllGuichets = Annotated[bool, typer.Option(
    "--all-guichets", help="Tous les guichets de la base en un seul document (la direction).")]


@report_app.command("monthly")
def monthly(
    month: Annotated[str, typer.Option("--month", metavar="AAAA-MM", help="Le mois.")],
    output: Annotated[Path, typer.Option("--output", metavar="FICHIER", help="FICHIER.csv ou FICHIER.xlsx")],
    all_guichets: AllGuichets = False,
) -> None:
    """La liste des lauréats à la fin du mois, en CSV ou XLSX selon l'extension."""
    from reports.monthly import write
    from workflow.french import count_fr, month_fr

    report = reading(lambda s: write(s, month, output, all_guichets=all_guichets))
    typer.echo(f"{count_fr(len(report.lines), 'lauréat')} à fin {month_fr(report.month)} : "
               f"{output}")


@app.command()
def stats(as_json: Json = False, all_guichets: AllGuichets = False) -> None:
    """Ce que le comité pèse : lauréats et montants par département, taille, mesure ; taux."""
    from reports.stats import compute, table

    document = reading(lambda s: compute(s, all_guichets=all_guichets))
    if as_json:
        emit(document)
    else:
        typer.echo(table(document))
