; A tiny multiboot v1 kernel for the command-line tests: a flat binary with the a.out-kludge
; address fields, loaded at 1 MiB. It checks the boot magic, prints a greeting and its command
; line and module count on COM1 (polling LSR bit 5) and on port 0xE9, then exits via isa-debug-exit with
; status (42 << 1) | 1 = 85.
bits 32
org 0x100000

MAGIC equ 0x1BADB002
FLAGS equ 0x00010000            ; address fields valid

header:
    dd MAGIC, FLAGS, -(MAGIC + FLAGS)
    dd header                   ; header_addr
    dd 0x100000                 ; load_addr
    dd 0                        ; load_end_addr: the whole file
    dd 0                        ; bss_end_addr: no bss
    dd start                    ; entry_addr

start:
    cmp eax, 0x2BADB002
    jne fail
    mov esi, greeting
    call puts
    mov esi, cmdline_label
    call puts
    mov esi, [ebx + 16]         ; multiboot_info.cmdline
    call puts
    mov al, 10
    call putc
    mov esi, mods_label         ; "mods=N" (N = mods_count, one digit), when flag 3 is set
    call puts
    mov al, '-'
    test dword [ebx], 1 << 3
    jz .no_mods
    mov al, [ebx + 20]
    add al, '0'
.no_mods:
    call putc
    mov al, 10
    call putc
    mov al, 42
    out 0xF4, al
    cli
    hlt

fail:
    mov al, 1
    out 0xF4, al
    cli
    hlt

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

putc:
    push eax
    mov dx, 0x3FD               ; COM1 LSR
.wait:
    in al, dx
    test al, 0x20               ; THR empty
    jz .wait
    pop eax
    mov dx, 0x3F8
    out dx, al
    out 0xE9, al
    ret

greeting:      db "hello from multiboot", 10, 0
cmdline_label: db "cmdline=", 0
mods_label:    db "mods=", 0
