"""The guichet calendar: sessions, quarterly and monthly deadlines, business days, due work."""
