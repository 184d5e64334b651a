"""An independent reference model of the ledger (SPEC §1-§4), used to cross-check the real one."""
