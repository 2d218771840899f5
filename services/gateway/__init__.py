"""gateway: HTTP/JSON for the web frontends; authenticates, checks permissions, calls the services."""
