"""identity: accounts, credentials, passwords, sessions and staff permissions."""
