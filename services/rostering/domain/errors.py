class PackageRejected(Exception):
    """The package as a whole cannot be read; no row of it should be applied."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
