"""The console's state, free of Textual: polls, trends, the fleet's rows."""
