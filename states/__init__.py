"""The dossier lifecycle as data and pure functions: no I/O, no clock, no database."""
