class PackageRejected(Exception):
    """The package as a whole cannot be read; no row of it should be applied.

    `file` names the file at fault when there is one (None for the package
    itself), `line` the line of that file when one line is at fault.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
