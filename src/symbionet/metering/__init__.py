"""Metered data: readings of the meters of exchanges and streams, read from the exports of
energy management and SCADA systems, converted, flagged and summed into verified yearly
quantities beside what the register expects (see docs/metering.md)."""

from symbionet.metering.flagging import (
    EXCLUDING,
    FLAGS,
    FlaggedReadings,
    flag_readings,
)
from symbionet.metering.meters import meter_table
from symbionet.metering.read import read_readings
from symbionet.metering.verification import VerifiedResult, verify

__all__ = [
    "EXCLUDING",
    "FLAGS",
    "FlaggedReadings",
    "VerifiedResult",
    "flag_readings",
    "meter_table",
    "read_readings",
    "verify",
]
