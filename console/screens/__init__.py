"""Modal screens: help, confirmation, prompts, logs, events and drill-downs."""
