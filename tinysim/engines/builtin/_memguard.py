"""Memory whose declared size is not a whole number of 4 KB pages.

Unicorn maps memory in pages, so a 10 KB RAM maps 12 KB. The 2 KB past the declared end must
fault as unmapped, as on the chip. A ranged memory hook covers only that tail: boards whose
memories are whole pages (all the bundled ones) get no hook and pay nothing.
"""
from __future__ import annotations

from unicorn import (UC_ERR_FETCH_UNMAPPED, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_HOOK_MEM_FETCH,
                     UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_FETCH, UC_MEM_WRITE, UcError)


def guard_tail(m, base: int, declared: int, mapped: int) -> None:
    """Fault accesses to [base+declared, base+mapped) as if nothing were mapped there."""
    lo, hi = base + declared, base + mapped
    if lo >= hi:
        return

    def on_access(uc, access, addr, size, value, _ud):
        kind = "write" if access == UC_MEM_WRITE else "fetch" if access == UC_MEM_FETCH else "read"
        m.core.unmapped = (kind, addr, size)
        # Raised out of the hook, Unicorn stops and emu_start re-raises it: the engine then
        # handles it exactly like a real unmapped access.
        raise UcError({"read": UC_ERR_READ_UNMAPPED, "write": UC_ERR_WRITE_UNMAPPED,
                       "fetch": UC_ERR_FETCH_UNMAPPED}[kind])

    m.uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE | UC_HOOK_MEM_FETCH, on_access, begin=lo, end=hi - 1)
