"""What the prefecture hands on: the monthly list of laureates, the session minutes, statistics."""
