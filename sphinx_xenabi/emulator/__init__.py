"""Run hypercalls on an emulated CPU: x86 through the real hypercall page, Arm by HVC.

A :class:`GuestHarness` is one emulated x86 guest (Unicorn) for one
:class:`GuestConfig`: PV 64 (SYSCALL page), PV 32 (``INT 0x82`` page), or an
Intel/AMD HVM guest in 64-bit or 32-bit code (VMCALL/VMMCALL page). It maps
the page that :func:`~sphinx_xenabi.model.page.hypercall_page` generates, a
small guest program and a stack. The program loads every general-purpose
register from a data block (the arguments go into the registers the spec's
convention names), executes ``call hypercall_page + index * 32`` and stores
the register file it sees after the stub's ``ret``. The harness traps the
transfer instruction, hands the register file to a
:class:`~sphinx_xenabi.model.dispatcher.Dispatcher`, writes the result back
and resumes the guest. :func:`execute_row_check` turns that into evidence for
the docs' tables; :func:`run_iret_stub` and :meth:`GuestHarness.boot` show
the iret stub and the CPUID/WRMSR way of creating the page.

An Arm guest has no page: :class:`~.hvc.HvcHarness` runs AArch64 and AArch32
guests whose own Linux-style stubs issue ``hvc #imm`` (:mod:`.hvc`), and
:func:`~.hvc.execute_hvc_row_check` makes their evidence.

The modules, one concept each:

* :mod:`.configurations`: the guest configurations, x86 and Arm
* :mod:`.layout`: the guest's memory layout (RAM and the exit for both; the x86 programs')
* :mod:`.registers`: register names and the data block the programs use
* :mod:`.encoder`: the x86 encoder and the guest programs
* :mod:`.results`: the records a run returns
* :mod:`.cpu`: Unicorn through its public API, for a machine (and what Unicorn does, as observed)
* :mod:`.unicorn_fast`: the hot path on Unicorn's private API, the only user of it
* :mod:`.harness`: the page harness, the story of one hypercall
* :mod:`.boot`: Xen's CPUID leaves and hypercall MSR
* :mod:`.probes`: the hypercalls a row check makes
* :mod:`.row_probe`: the docs' tables executed through the page, as evidence
* :mod:`.hvc`: guests that call Xen with HVC (Arm), the same story without a page

No Sphinx or docutils here: this is model-level code on an AbiSpec.
"""

from __future__ import annotations

from .configurations import ALL_CONFIGS, ARM_CONFIGS, GUEST_CONFIGS, GuestConfig
from .errors import EmulatorError, GuestFault
from .harness import GuestHarness
from .hvc import HvcHarness, HvcRowEvidence, execute_hvc_row_check
from .layout import BOOT_PAGE_ADDRESS, EXIT_ADDRESS, PAGE_ADDRESS, XEN_SIGNATURE
from .probes import probe_dispatcher
from .registers import RegisterFile, default_arguments
from .results import BootEvidence, Clobber, RoundTrip, StubRun
from .row_probe import RowEvidence, execute_row_check, run_iret_stub

__all__ = [
    "ALL_CONFIGS",
    "ARM_CONFIGS",
    "BOOT_PAGE_ADDRESS",
    "EXIT_ADDRESS",
    "GUEST_CONFIGS",
    "PAGE_ADDRESS",
    "RegisterFile",
    "XEN_SIGNATURE",
    "BootEvidence",
    "Clobber",
    "EmulatorError",
    "GuestConfig",
    "GuestFault",
    "GuestHarness",
    "HvcHarness",
    "HvcRowEvidence",
    "RoundTrip",
    "RowEvidence",
    "StubRun",
    "default_arguments",
    "execute_hvc_row_check",
    "execute_row_check",
    "probe_dispatcher",
    "run_iret_stub",
]
