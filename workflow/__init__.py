"""Persistence, the services that apply events in one transaction, and the command line."""
