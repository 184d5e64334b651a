"""``python -m demo [SEED]``: write the demo history as JSON Lines to stdout."""

from __future__ import annotations

from demo.emit import main

if __name__ == "__main__":
    main()
