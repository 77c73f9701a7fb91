"""Imports every CloudWatch handler module so its operations are registered on :data:`api`."""

from drydock.services.cloudwatch import data as _data
from drydock.services.cloudwatch import listing as _listing
from drydock.services.cloudwatch import queries as _queries
from drydock.services.cloudwatch import statistics as _statistics
from drydock.services.cloudwatch.api import api

__all__ = ["_data", "_listing", "_queries", "_statistics", "api"]
