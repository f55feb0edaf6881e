"""langdetect's language profiles, read by numpy instead of into ~88,000 Python lists up front.

``langdetect.DetectorFactory.load_profile`` keeps, for each of ~88,000 n-grams, a list of 55 Python
floats (one per language), built in a Python loop over the 184,000 entries of the 55 profiles:
~0.35–0.45 s of CPU and ~45 MB at every process start that needs langdetect (the process command
does, for the few texts its script rules cannot decide). Here the same numbers are computed by
numpy (the same IEEE divisions, so the same bits) and kept as their non-zero entries; an n-gram's
list is made when langdetect's ``Detector`` first asks for it (a few thousand per text).

The languages keep the order ``load_profile`` gives them (the profile folder's listing order),
so a detector built on this factory draws and decides exactly as one built on langdetect's own.
"""

from __future__ import annotations

import json
import os
from itertools import chain

import numpy as np
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram


class ProfileRows(dict):
    """n-gram → its number (what ``in`` tests); ``rows[ngram]`` is the n-gram's probability in each
    language, the list of floats langdetect's own map holds (made once per n-gram asked for, from
    the non-zero entries: 184,000 of 4.8 million)."""

    def __init__(
        self, index: dict[str, int], languages: int, rows: np.ndarray, columns: np.ndarray, values: np.ndarray
    ):
        """``index``: n-gram → number; (rows, columns, values): each non-zero probability, the
        n-gram's number and the language's."""
        super().__init__(index)
        order = np.argsort(rows, kind="stable")
        self._columns, self._values = columns[order], values[order]
        self._starts = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(index))))).tolist()
        self._languages = languages
        self._lists: dict[str, list[float]] = {}

    def __getitem__(self, ngram: str) -> list[float]:
        row = self._lists.get(ngram)
        if row is None:
            number = dict.__getitem__(self, ngram)
            start, end = self._starts[number], self._starts[number + 1]
            row = [0.0] * self._languages
            for column, value in zip(
                self._columns[start:end].tolist(), self._values[start:end].tolist(), strict=True
            ):
                row[column] = value
            self._lists[ngram] = row
        return row


def profile_files(directory: str = PROFILES_DIRECTORY) -> list[str]:
    """The profile files in the order ``DetectorFactory.load_profile`` reads them."""
    files = []
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if not name.startswith(".") and os.path.isfile(path):
            files.append(path)
    return files


def load_factory(directory: str = PROFILES_DIRECTORY) -> DetectorFactory:
    """A ``DetectorFactory`` holding every profile of ``directory``, as ``load_profile`` would."""
    profiles = []
    for path in profile_files(directory):
        with open(path, encoding="utf-8") as fh:
            profiles.append(json.load(fh))
    ngrams = list(dict.fromkeys(chain.from_iterable(profile["freq"] for profile in profiles)))
    index = dict(zip(ngrams, range(len(ngrams)), strict=True))
    rows, columns, values = [], [], []
    for column, profile in enumerate(profiles):
        freq = profile["freq"]
        # langdetect: prob = 1.0 * freq / n_words[len - 1], for n-grams of 1 to 3 characters
        per_length = np.zeros(NGram.N_GRAM + 2, dtype=np.float64)
        per_length[1 : NGram.N_GRAM + 1] = profile["n_words"][: NGram.N_GRAM]
        lengths = np.fromiter(map(len, freq), dtype=np.int64, count=len(freq))
        counts = np.fromiter(freq.values(), dtype=np.float64, count=len(freq))
        numbers = np.fromiter(map(index.__getitem__, freq), dtype=np.int64, count=len(freq))
        usable = (lengths >= 1) & (lengths <= NGram.N_GRAM)
        rows.append(numbers[usable])
        columns.append(np.full(int(usable.sum()), column, dtype=np.int64))
        values.append(counts[usable] / per_length[lengths[usable]])
    factory = DetectorFactory()
    names = [profile["name"] for profile in profiles]
    if len(set(names)) != len(names):
        raise ValueError(f"a language appears twice among the profiles of {directory}")
    factory.langlist = names
    factory.word_lang_prob_map = ProfileRows(
        index, len(profiles), np.concatenate(rows), np.concatenate(columns), np.concatenate(values)
    )
    return factory
