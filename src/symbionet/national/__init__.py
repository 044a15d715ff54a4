"""National datasets: many parks, one national view, and the exchanges between parks."""

from symbionet.national.dataset import National, load_national
from symbionet.national.links import NationalResult, national_candidates

__all__ = ["National", "NationalResult", "load_national", "national_candidates"]
