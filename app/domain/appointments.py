"""Appointments (预约): a guide books a customer for a fitting or a service."""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# How long an appointment without an end time is taken to last (clash detection).
DEFAULT_APPOINTMENT_MINUTES = 60
