"""A district's OneRoster CSV package and guardians.csv, picked up from its SFTP inbox."""
