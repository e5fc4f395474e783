"""The one error type that reaches the user as a single line with exit code 2."""

from __future__ import annotations


class CxError(Exception):
    """Bad input or usage: shown as one line, exit code 2, never a traceback.

    The message should name the file, table and column involved and the fix.
    """

    exit_code = 2

    def __init__(self, message: str, *, table: str = "", column: str = "") -> None:
        super().__init__(message)
        self.table = table
        self.column = column
