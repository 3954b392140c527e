"""The team's shared run store (docs/store.md): PostgreSQL behind config `store:`.

The local journal stays the record and is written first; this package ships its
lines to the store afterwards, off the run's path (`store/shipper.py`), and reads
the team's runs back (`store/mirror.py`). psycopg is imported only here, and only
when a command uses the store: nothing else pays for loading it.
"""
