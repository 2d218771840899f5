class SourceRejected(Exception):
    """The source as a whole cannot be read (refused credentials, garbage answers, an unreadable package);
    no row of it should be applied.

    `file` names the file or collection at fault when there is one (None for
    the source itself), `line` the line or position in it when one is at fault.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line


class PackageRejected(SourceRejected):
    """A OneRoster CSV package that cannot be read as a whole."""


class UnknownSource(Exception):
    """No source is configured for the district, or its configuration cannot be used (a missing secret)."""
