"""The console's state, free of Textual: the one reducer (console_state.py), polls, trends,
the fleet's rows."""
