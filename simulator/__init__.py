"""Local stand-ins for the LINE Platform, for tests and the development chat simulator.

``simulator.line_api`` is a fake Messaging API server that the real line-bot-sdk client talks to
(``Configuration(host=...)``); ``simulator.validation`` checks request bodies against the vendored
LINE OpenAPI specs in ``simulator/openapi`` plus LINE's documented limits.
"""
