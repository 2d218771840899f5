"""The ClassLink source: a district's roster read from ClassLink's OneRoster 1.1 or 1.2 REST roster server."""
