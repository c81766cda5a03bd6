"""The bot's core: configuration, LINE client, persistence, answer engine, event processing.

Nothing in this package imports Flask; the web app, the CLI and the scheduler all use it.
"""
