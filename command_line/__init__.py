"""The command line: an adapter over the services of workflow/, as the web app is (web/)."""
