# include(kvm_irqchip_usable.cmake) with EMU set: sets KVM_SKIP_REASON to why --backend kvm
# --kvm-irqchip kernel cannot run on this host ("" when it can): kvm_usable.cmake's probe with
# the in-kernel irqchip asked for (KVM_CAP_IRQCHIP missing, KVM_CREATE_IRQCHIP refused).
set(KVM_PROBE_ARGS --kvm-irqchip kernel)
include(${CMAKE_CURRENT_LIST_DIR}/kvm_usable.cmake)
