"""The one exception type the client raises."""

from __future__ import annotations

from typing import Any, Dict, Optional


class StrataError(Exception):
    """An error the server answered (its ``code`` and ``message``), or a transport failure (``code`` ``Unavailable``)."""

    def __init__(self, code: str, message: str, status: Optional[int] = None, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
