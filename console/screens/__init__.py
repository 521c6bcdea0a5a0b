"""Screens: the overview (and replay's), the fleet view, help, confirmation, prompts, logs,
events and drill-downs. None imports the App: they read it through screens/host.py."""
