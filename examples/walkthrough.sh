#!/bin/sh
# A short Bretagne 2021 campaign on a throwaway database, replayed with --now.
# Run it from anywhere, the virtual environment activated or not: sh examples/walkthrough.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
comite="${COMITE:-$here/../.venv/bin/comite}"
[ -x "$comite" ] || comite=comite
work=$(mktemp -d)
db="sqlite:///$work/comite.db"
c() { echo "\$ comite $*" | sed "s#$here/##g; s#$work/##g"; "$comite" --db "$db" "$@"; echo; }

c init "$here/bretagne-2021.toml"
ref=$("$comite" --db "$db" --now 2021-05-04T10:00 dossier submit "$here/dossiers/kerbras-3c.json")
echo "\$ comite --now 2021-05-04T10:00 dossier submit dossiers/kerbras-3c.json"; echo "$ref"; echo
c --now 2021-05-10T09:00 dossier start_instruction "$ref" --actor instructeur.29@example.org
c --now 2021-05-11T09:00 dossier schedule "$ref" --session 2021-06-22 --actor instructeur.22@example.org || true
c --now 2021-05-11T09:00 dossier schedule "$ref" --session 2021-06-22 --actor instructeur.29@example.org
c --now 2021-06-15T09:00 session convene 2021-06-22 --actor coordination.sgar@example.org
c --now 2021-06-22T09:00 session open 2021-06-22 --actor coordination.sgar@example.org
c --now 2021-06-22T10:00 dossier accept "$ref" --amount "40 000" --reason "Projet exemplaire" --actor coordination.sgar@example.org || true
c --now 2021-06-22T10:05 dossier accept "$ref" --amount "36 000" --reason "Projet exemplaire" --actor coordination.sgar@example.org
c --now 2021-06-22T12:00 session close 2021-06-22 --actor coordination.sgar@example.org
c dossier show "$ref"
c budget
c session list
echo "Base de démonstration : $work/comite.db"
