"""What is wrong with the data: one :class:`Problem` per cause, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass

from ..markup import one_line


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data: where it is and what it is.

    Examples
    --------
    >>> import glutedata as gd
    >>> print(gd.Problem("emg_activation.csv", 12, "pct_mvic", "not a number: '4O'"))
    emg_activation.csv:12: pct_mvic: not a number: '4O'
    """

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # one line whatever the data holds: control characters are shown escaped
        return f"{one_line(self.file)}:{self.line}: {one_line(self.field)}: {one_line(self.message)}"


class DataError(ValueError):
    """The data failed validation; ``problems`` lists what is wrong.

    Examples
    --------
    >>> import glutedata as gd
    >>> try:
    ...     gd.load("no/such/folder")
    ... except gd.DataError as e:
    ...     print(e.problems[0].message)
    no such data directory
    """

    def __init__(self, problems):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{shown}{more}")
