"""The pure core: facts in, decisions out.

Nothing in this package reads the clock, a file, a database or a server, and nothing
imports `mailbot.config.load` (loading), `mailbot.io` or a library that does I/O; a test
(`tests/test_architecture_imports.py`) reads the imports and holds it so. Time is an argument.
"""
