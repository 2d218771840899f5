class PackageRejected(Exception):
    """The package as a whole cannot be read; no row of it should be applied.

    `file` names the file at fault when there is one (None for the package itself).
    """

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
