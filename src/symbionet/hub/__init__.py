"""The knowledge hub: the ecosystem around a park (organisations, projects, calls, facilities,
education) and matching within it, each result explained."""

from symbionet.hub.byproducts import byproducts_for, propose
from symbionet.hub.consortium import Consortium, build_consortium
from symbionet.hub.contacts import erase_contact, export_contact
from symbionet.hub.evaluation import PartnerEvaluation, evaluate_partners, sector_ranking
from symbionet.hub.facilities import (
    bookings_visible_to,
    busy_periods,
    free_facilities,
    request_booking,
)
from symbionet.hub.matching import partners_for, talent_for, topic_fit

__all__ = [
    "Consortium",
    "PartnerEvaluation",
    "bookings_visible_to",
    "build_consortium",
    "busy_periods",
    "byproducts_for",
    "erase_contact",
    "evaluate_partners",
    "export_contact",
    "free_facilities",
    "partners_for",
    "propose",
    "request_booking",
    "sector_ranking",
    "talent_for",
    "topic_fit",
]
