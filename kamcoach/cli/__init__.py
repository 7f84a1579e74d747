"""The command-line interface: a click group whose commands call the core."""
