"""The web app: staff pages in the State's design system, over the same services."""
