"""Errors a service raises for a person to read; anything else is a bug."""

from __future__ import annotations


class ServiceError(RuntimeError):
    """Something the person can act on; the message says what happened and what to do."""


class NotFound(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass


class Conflict(ServiceError):
    """The record changed state in a way that forbids this (e.g. already completed)."""


class NotInitialised(ServiceError):
    pass


class LoginFailed(ServiceError):
    pass


class SigningRefused(ServiceError):
    """No signature was made: no usable key, a revoked key, a record that cannot be signed."""
