"""`python -m schoolctl`: the same command line as the `schoolctl` script."""
from schoolctl.main import main

main()
