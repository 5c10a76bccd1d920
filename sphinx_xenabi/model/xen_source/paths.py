"""Where the files the reader needs live in a Xen tree, relative to its root.

Apart from the tree's reader (``tree.py``) so that finding a tree (does
``xen/include/public/xen.h`` exist beside the docs?) loads nothing else.
"""

XEN_H = "xen/include/public/xen.h"
XEN_MCA_H = "xen/include/public/arch-x86/xen-mca.h"
HYPERCALL_DEFS = "xen/include/hypercall-defs.c"
GEN_HYPERCALL_AWK = "xen/scripts/gen_hypercall.awk"
PV_HYPERCALL_C = "xen/arch/x86/pv/hypercall.c"
HVM_HYPERCALL_C = "xen/arch/x86/hvm/hypercall.c"
ARGS_TABLE_C = "xen/arch/x86/hypercall.c"
VMX_C = "xen/arch/x86/hvm/vmx/vmx.c"
SVM_C = "xen/arch/x86/hvm/svm/svm.c"
MAKEFILE = "xen/Makefile"
ARCH_ARM_H = "xen/include/public/arch-arm.h"
ARM_TRAPS_C = "xen/arch/arm/traps.c"
ARM_SETUP_C = "xen/arch/arm/setup.c"
VERSION_H = "xen/include/public/version.h"
KERNEL_C = "xen/common/kernel.c"
ASM_DIRS = ("xen/arch/x86/include/asm", "xen/include/asm-x86")  # 4.17 and later, before
