"""The one error type of the calibration layer."""

from __future__ import annotations

from accel.errors import BadInputError

__all__ = ["CalibrationError"]


class CalibrationError(BadInputError):
    """A measurement or knobs file that is malformed, or a row the GPU model cannot predict (exit status 2).

    The message names the file and the row index (``row 3``) and quotes the
    offending field or value.
    """
