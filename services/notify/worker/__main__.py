"""`python -m services.notify.worker`"""
from services.notify.worker import main

main()
