"""Facts written out independently of the model's code, checked by several test modules."""

from __future__ import annotations

# The reference model's history, release by release: (release, severity, text).
MODEL_HISTORY = [
    ("4.14", "compatible", "hypercall 42 (hypfs_op) added, available to all guest types"),
    ("4.14", "compatible", "multicall (13) now available to HVM 32 and HVM 64 guests"),
    ("4.14", "compatible", "vm_assist (21) now available to HVM 32 and HVM 64 guests"),
    ("4.15", "compatible", "dm_op (41) now available to Arm 64 and Arm 32 guests"),
    ("4.17", "breaking", "parameter 6 (R9, EBP) removed; at most 5 parameters (was 6)"),
    ("4.22", "breaking", "xenoprof_op (31) no longer available to PV 32 and PV 64 guests"),
]
