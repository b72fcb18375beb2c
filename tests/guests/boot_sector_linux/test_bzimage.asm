; A tiny kernel in the Linux x86 bzImage format (boot protocol 2.10 header), built by the project
; to test vmlab's direct Linux boot through its BIOS (issue 6, acceptance point 4). Its "setup
; code" checks what a real kernel's setup code relies on:
;   - it is entered at CS = DS + 20h, DS = ES = SS (the boot protocol's real-mode entry)
;   - the loader filled type_of_loader, cmd_line_ptr, ramdisk_image/size, heap_end_ptr
;   - the command line contains "vmlab_test=42" (it is printed whole)
;   - the initrd (initrd.asm: "INIT" ... "DONE", 5000 bytes) is where the header says
;   - the protected-mode part ("PMOD") was loaded at 1 MiB
;   - INT 15h E820 lists RAM at 0 and at 1 MiB, and a reserved area ends RAM
; and prints the command line and the E820 map, then exits through isa-debug-exit (0 = pass).
bits 16
cpu 686
org 0

SETUP_SECTS equ 3
DEBUG_EXIT  equ 0xF4
INITRD_SIZE equ 5000
%define test_no byte [test_no_var]

boot_sector:
  times 0x1F1 - ($ - $$) db 0
hdr:
  db SETUP_SECTS               ; 1F1 setup_sects
  dw 0                         ; 1F2 root_flags
  dd 0                         ; 1F4 syssize
  dw 0                         ; 1F8 ram_size
  dw 0xFFFF                    ; 1FA vid_mode: normal
  dw 0                         ; 1FC root_dev
  dw 0xAA55                    ; 1FE boot_flag
  jmp short setup_start        ; 200 jump
  db "HdrS"                    ; 202
  dw 0x020A                    ; 206 version 2.10
  dd 0                         ; 208 realmode_swtch
  dw 0x1000                    ; 20C start_sys_seg
  dw 0                         ; 20E kernel_version
  db 0                         ; 210 type_of_loader (the loader writes it)
  db 0x01                      ; 211 loadflags: LOADED_HIGH
  dw 0x8000                    ; 212 setup_move_size
  dd 0x100000                  ; 214 code32_start
  dd 0                         ; 218 ramdisk_image
  dd 0                         ; 21C ramdisk_size
  dd 0                         ; 220 bootsect_kludge
  dw 0                         ; 224 heap_end_ptr
  db 0                         ; 226 ext_loader_ver
  db 0                         ; 227 ext_loader_type
  dd 0                         ; 228 cmd_line_ptr
  dd 0x37FFFFFF                ; 22C initrd_addr_max
  dd 0x100000                  ; 230 kernel_alignment
  db 0                         ; 234 relocatable_kernel
  db 0                         ; 235 min_alignment
  dw 0                         ; 236 xloadflags
  dd 255                       ; 238 cmdline_size

setup_start:
  ; --- the real-mode entry state ---
  mov test_no, 1
  mov ax, cs
  sub ax, 0x20
  mov bx, ds
  cmp ax, bx
  jne fail
  mov bx, ss
  cmp ax, bx
  jne fail
  mov bx, es
  cmp ax, bx
  jne fail
  mov si, msg_entered
  call puts

  ; --- the loader's header fields ---
  mov test_no, 2
  cmp byte [0x210], 0
  je fail
  test byte [0x211], 0x80      ; CAN_USE_HEAP
  jz fail
  cmp word [0x224], 0
  je fail
  call unreal_fs

  ; --- the command line: printed whole, must contain "vmlab_test=42" (boot loaders such as
  ; syslinux put "BOOT_IMAGE=..." in front) ---
  mov test_no, 3
  mov esi, [0x228]
  test esi, esi
  jz fail
  mov si, msg_cmdline
  call puts
  mov esi, [0x228]
  xor dx, dx                   ; DX = 1 once the marker was seen
.cmd:
  mov al, [fs:esi]
  test al, al
  jz .cmd_end
  call putc
  mov di, marker
  mov ebx, esi
.cmp:
  mov al, [di]
  test al, al
  jz .cmd_found
  cmp al, [fs:ebx]
  jne .cmd_next
  inc di
  inc ebx
  jmp .cmp
.cmd_found:
  mov dx, 1
.cmd_next:
  inc esi
  cmp esi, 0x100000            ; an unterminated line must not run away
  jb .cmd
.cmd_end:
  mov si, msg_crlf
  call puts
  test dx, dx
  jz fail

  ; --- the initrd ---
  mov test_no, 4
  mov esi, [0x218]
  test esi, esi
  jz fail
  test esi, 0xFFF              ; page aligned
  jnz fail
  cmp dword [0x21C], INITRD_SIZE
  jne fail
  cmp dword [fs:esi], 'INIT'
  jne fail
  cmp dword [fs:esi + INITRD_SIZE - 4], 'DONE'
  jne fail
  mov si, msg_initrd
  call puts
  mov eax, [0x218]
  call print_hex32
  mov si, msg_crlf
  call puts

  ; --- the protected-mode part at 1 MiB ---
  mov test_no, 5
  mov esi, 0x100000
  cmp dword [fs:esi], 'PMOD'
  jne fail

  ; --- the firmware's E820 map ---
  mov test_no, 6
  xor ebx, ebx
  xor bp, bp                   ; bit 0: RAM at 0, bit 1: RAM at 1 MiB, bit 2: a reserved area
.e820:
  mov eax, 0xE820
  mov edx, 'PAMS'
  mov ecx, 20
  mov di, e820_entry
  int 0x15
  jc fail
  cmp eax, 'PAMS'
  jne fail
  mov si, msg_e820
  call puts
  mov eax, [e820_entry]
  call print_hex32
  mov al, ' '
  call putc
  mov eax, [e820_entry + 8]
  call print_hex32
  mov al, ' '
  call putc
  mov eax, [e820_entry + 16]
  add al, '0'
  call putc
  mov si, msg_crlf
  call puts
  cmp dword [e820_entry + 16], 1
  jne .reserved
  cmp dword [e820_entry], 0
  jne .not_zero
  or bp, 1
.not_zero:
  cmp dword [e820_entry], 0x100000
  jne .next
  or bp, 2
  jmp .next
.reserved:
  or bp, 4
.next:
  test ebx, ebx
  jnz .e820
  cmp bp, 7
  jne fail

  mov si, msg_pass
  call puts
  xor al, al
  out DEBUG_EXIT, al
  cli
  hlt

fail:
  mov si, msg_fail
  call puts
  mov al, test_no
  add al, '0'
  call putc
  mov si, msg_crlf
  call puts
  mov al, test_no
  out DEBUG_EXIT, al
  cli
  hlt

; FS = a flat 4 GiB segment while in real mode ("unreal mode"). The GDT's linear address
; depends on where the loader put us (DS * 16).
unreal_fs:
  pushad
  xor eax, eax
  mov ax, ds
  shl eax, 4
  add eax, gdt
  mov [gdt_desc + 2], eax
  cli
  lgdt [gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp .pm
.pm:
  mov bx, 0x08
  mov fs, bx
  and al, 0xFE
  mov cr0, eax
  jmp .rm
.rm:
  xor bx, bx
  mov fs, bx
  popad
  ret

putc:
  pusha
  mov ah, 0x0E
  mov bx, 0x0007
  int 0x10
  popa
  ret

puts:
  pusha
.next:
  lodsb
  test al, al
  jz .done
  call putc
  jmp .next
.done:
  popa
  ret

print_hex32:
  pushad
  mov ebx, eax
  mov cx, 8
.digit:
  rol ebx, 4
  mov al, bl
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'A' - '9' - 1
.out:
  call putc
  loop .digit
  popad
  ret

test_no_var: db 0
align 8
gdt:
  dq 0
  dq 0x00CF92000000FFFF
gdt_desc:
  dw 15
  dd 0
e820_entry: times 24 db 0
marker: db "vmlab_test=42", 0
msg_entered: db "test_bzimage: setup code entered", 13, 10, 0
msg_cmdline: db "test_bzimage: command line: ", 0
msg_initrd:  db "test_bzimage: initrd INIT..DONE at 0x", 0
msg_e820:    db "test_bzimage: e820 ", 0
msg_pass:    db "test_bzimage: PASS", 13, 10, 0
msg_fail:    db "test_bzimage: FAIL ", 0
msg_crlf:    db 13, 10, 0

%if ($ - $$) > (SETUP_SECTS + 1) * 512
  %error "the setup code outgrew SETUP_SECTS"
%endif
  times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0

; The protected-mode part (never run: the setup code above stops the test first).
  db "PMOD"
  times 508 db 0xF4            ; HLT
