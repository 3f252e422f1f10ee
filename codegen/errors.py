"""The one exception type codegen raises for problems a human must fix."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CodegenError"]


class CodegenError(Exception):
    """A problem in the spec, the overlays or the environment, with every detail listed.

    ``problems`` holds one line per problem so a single run reports all of them instead
    of stopping at the first.
    """

    def __init__(self, summary: str, problems: Iterable[str] = ()) -> None:
        self.summary = summary
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """The summary followed by one indented line per problem."""
        lines = [self.summary]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)
