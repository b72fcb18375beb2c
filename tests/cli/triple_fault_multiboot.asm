; Loads an empty IDT and executes INT3: #GP (no gate) -> #DF (no gate) -> triple fault.
%include "multiboot_header.inc"
start:
    lidt [empty_idt]
    int3
    jmp start
empty_idt:
    dw 0                        ; limit 0: not even vector 0 fits
    dd 0
