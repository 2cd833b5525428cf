"""Messages: French templates, rendering, the outbox and SMTP delivery."""
