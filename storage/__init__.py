"""Storage adapters shared by the write and the read side: database URLs and connections, the
event transcoder, the recorders with the ledger's key tables, and the locks between processes.

Nothing here knows a rule of the ledger: it stores and reads what the other layers give it.
"""
