# tests/interop: an independent Gajim-profile peer (owner: interop).
