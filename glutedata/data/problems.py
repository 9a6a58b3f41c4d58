"""What is wrong with the data: one :class:`Problem` per cause, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass

from ..markup import one_line


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data: where it is and what it is."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # one line whatever the data holds: control characters are shown escaped
        return f"{one_line(self.file)}:{self.line}: {one_line(self.field)}: {one_line(self.message)}"


class DataError(ValueError):
    """The data failed validation; ``problems`` lists what is wrong."""

    def __init__(self, problems):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{shown}{more}")
