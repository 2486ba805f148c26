"""Matching people to community activities: ranking the directory for one profile, with reasons.

Imports only the directory's plain records and categories; no web framework or database.
"""

from matching.baseline import BareBaseline, BM25Ranker, nearest_first
from matching.engine import MatchingEngine
from matching.profile import MUST, PREFER, Profile
from matching.results import Explanation, MatchOutcome, MatchResult
from matching.scoring import Weights
from matching.text import SpellingCorrector

__all__ = [
    "MUST",
    "PREFER",
    "BM25Ranker",
    "BareBaseline",
    "Explanation",
    "MatchOutcome",
    "MatchResult",
    "MatchingEngine",
    "Profile",
    "SpellingCorrector",
    "Weights",
    "nearest_first",
]
