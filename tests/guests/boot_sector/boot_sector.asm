; A disk image that tests the BIOS from the inside (acceptance point 1 of issue 6):
;   LBA 0     the MBR: prints through INT 10h, reads stage 2 with INT 13h AH=02h (CHS), jumps
;   LBA 1-4   stage 2: INT 13h (08h, 41h, 42h, 43h, 48h), INT 15h E820/E801/88h, INT 12h,
;             INT 1Ah ticks and PCI BIOS, the MP and ACPI tables found by the standard search,
;             and VBE (INT 10h 4F00h-4F03h, a pixel through the linear framebuffer)
;   LBA 5     a known pattern stage 2 reads with INT 13h AH=42h
;   LBA 6     scratch: written with AH=43h, read back with AH=02h
; Prints "boot_sector: PASS" and writes 0 to the isa-debug-exit port 0xF4 (vmlab/QEMU exit with
; status 1); on a failure prints "FAIL <n>" and writes n.
bits 16
cpu 686

STAGE2      equ 0x8000
PATTERN_BUF equ 0x9000
SCRATCH_BUF equ 0x9200
E820_BUF    equ 0x9400
VBE_BUF     equ 0x9600
DEBUG_EXIT  equ 0xF4
%define test_no byte [test_no_var]

section mbr start=0 vstart=0x7C00
mbr:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  mov [boot_drive], dl
  mov si, msg_hello
  call puts
  ; Stage 2: 4 sectors from cylinder 0, head 0, sector 2.
  mov ax, 0x0204
  mov cx, 0x0002
  xor dh, dh
  mov dl, [boot_drive]
  mov bx, STAGE2
  int 0x13
  jc mbr_fail
  cmp al, 4
  jne mbr_fail
  cmp dword [STAGE2], 'STG2'
  jne mbr_fail
  jmp 0:STAGE2 + 4
mbr_fail:
  mov si, msg_mbr_fail
  call puts
  mov al, 1
  out DEBUG_EXIT, al
  cli
  hlt

; SI = string, printed with INT 10h AH=0Eh.
puts:
  pusha
.next:
  lodsb
  test al, al
  jz .done
  mov ah, 0x0E
  mov bx, 0x0007
  int 0x10
  jmp .next
.done:
  popa
  ret

boot_drive: db 0
msg_hello:    db "boot_sector: MBR running, printed through INT 10h", 13, 10, 0
msg_mbr_fail: db "FAIL 1 (INT 13h AH=02h could not load stage 2)", 13, 10, 0
  times 446 - ($ - $$) db 0
  times 64 db 0                ; an empty partition table
  dw 0xAA55

section stage2 start=512 vstart=STAGE2
  dd 'STG2'
stage2:
  mov si, msg_stage2
  call puts

  ; --- INT 13h AH=08h: geometry, and at least one disk ---
  mov test_no, 2
  mov ah, 0x08
  mov dl, [boot_drive]
  int 0x13
  jc fail
  test dl, dl
  jz fail
  and cl, 0x3F
  jz fail                      ; sectors per track

  ; --- AH=41h: EDD present ---
  mov test_no, 3
  mov ah, 0x41
  mov bx, 0x55AA
  mov dl, [boot_drive]
  int 0x13
  jc fail
  cmp bx, 0xAA55
  jne fail
  test cx, 1
  jz fail

  ; --- AH=42h: LBA 5 holds the pattern ---
  mov test_no, 4
  mov word [dap.count], 1
  mov word [dap.offset], PATTERN_BUF
  mov dword [dap.lba], 5
  mov ah, 0x42
  mov dl, [boot_drive]
  mov si, dap
  int 0x13
  jc fail
  cmp word [dap.count], 1
  jne fail
  cmp dword [PATTERN_BUF], 'LBA5'
  jne fail
  cmp byte [PATTERN_BUF + 511], 0x5A
  jne fail

  ; --- AH=43h writes LBA 6, AH=02h (CHS 0/0/7) reads it back ---
  mov test_no, 5
  mov di, SCRATCH_BUF
  mov cx, 512
  mov al, 0x3C
  rep stosb
  mov dword [SCRATCH_BUF], 'WRIT'
  mov word [dap.count], 1
  mov word [dap.offset], SCRATCH_BUF
  mov dword [dap.lba], 6
  mov ah, 0x43
  xor al, al
  mov dl, [boot_drive]
  mov si, dap
  int 0x13
  jc fail
  mov di, SCRATCH_BUF
  mov cx, 512
  xor al, al
  rep stosb
  mov ax, 0x0201
  mov cx, 0x0007
  xor dh, dh
  mov dl, [boot_drive]
  mov bx, SCRATCH_BUF
  int 0x13
  jc fail
  cmp dword [SCRATCH_BUF], 'WRIT'
  jne fail
  cmp byte [SCRATCH_BUF + 300], 0x3C
  jne fail

  ; --- AH=48h: drive parameters, 512-byte sectors, size > 6 sectors ---
  mov test_no, 6
  mov word [edd_params], 30
  mov ah, 0x48
  mov dl, [boot_drive]
  mov si, edd_params
  int 0x13
  jc fail
  cmp word [edd_params + 24], 512
  jne fail
  cmp dword [edd_params + 16], 6
  jbe fail

  ; --- a drive that does not exist fails ---
  mov test_no, 7
  mov ax, 0x0201
  mov cx, 0x0001
  mov dx, 0x0087
  mov bx, SCRATCH_BUF
  int 0x13
  jnc fail

  ; --- INT 15h E820: RAM at 0 and at 1 MiB, the list ends with EBX = 0 ---
  mov test_no, 8
  xor ebx, ebx
  xor bp, bp                   ; entries seen
  xor si, si                   ; bit 0: RAM at 0, bit 1: RAM at 1 MiB
.e820:
  mov eax, 0xE820
  mov edx, 'PAMS'
  mov ecx, 20
  mov di, E820_BUF
  int 0x15
  jc fail
  cmp eax, 'PAMS'
  jne fail
  inc bp
  cmp dword [E820_BUF + 16], 1
  jne .e820_next
  cmp dword [E820_BUF], 0
  jne .not_low
  or si, 1
.not_low:
  cmp dword [E820_BUF], 0x100000
  jne .e820_next
  or si, 2
.e820_next:
  cmp bp, 32
  ja fail
  test ebx, ebx
  jnz .e820
  cmp si, 3
  jne fail
  cmp bp, 4
  jb fail

  ; --- INT 12h, INT 15h E801 and 88h agree on a plausible memory size ---
  mov test_no, 9
  int 0x12
  cmp ax, 639
  jne fail
  mov ax, 0xE801
  int 0x15
  jc fail
  cmp ax, 15 * 1024            ; 1 MiB..16 MiB fully present with -m 64M or more
  jne fail
  test bx, bx
  jz fail
  mov ah, 0x88
  int 0x15
  jc fail
  cmp ax, 15 * 1024
  jb fail

  ; --- INT 1Ah: the 18.2 Hz tick count moves (IRQ 0 works) ---
  mov test_no, 10
  xor ah, ah
  int 0x1A
  mov bx, dx
  mov ecx, 50000000
.tick:
  xor ah, ah
  int 0x1A
  cmp dx, bx
  jne .ticked
  dec ecx
  jnz .tick
  jmp fail
.ticked:

  ; --- INT 1Ah AX=B101h: PCI BIOS present; B102h finds the PIIX3 ISA bridge at 00:01.0 ---
  mov test_no, 11
  mov ax, 0xB101
  xor edi, edi
  int 0x1A
  jc fail
  cmp edx, 0x20494350
  jne fail
  mov ax, 0xB102
  mov cx, 0x7000
  mov dx, 0x8086
  xor si, si
  int 0x1A
  jc fail
  cmp bx, 0x0008
  jne fail

  ; --- the MP floating pointer by the standard search, its checksum, its PCMP table ---
  mov test_no, 12
  mov ax, [0x40E]              ; EBDA segment from the BDA
  mov cx, 1024 / 16
  call find_mp
  jnc .mp_found
  mov ax, (640 - 1) * 64       ; last KiB of base memory
  mov cx, 1024 / 16
  call find_mp
  jnc .mp_found
  mov ax, 0xF000
  mov cx, 0x10000 / 16
  call find_mp
  jc fail
.mp_found:
  ; The configuration table sits near the top of RAM: reach it through FS in unreal mode and
  ; check its signature and checksum.
  mov [mp_config], eax
  mov si, msg_mp
  call puts
  call print_hex32
  mov si, msg_crlf
  call puts
  mov test_no, 14
  call unreal_fs
  mov ebx, [mp_config]
  cmp dword [fs:ebx], 'PCMP'
  jne fail
  movzx ecx, word [fs:ebx + 4]
  cmp ecx, 44
  jb fail
  xor al, al
.pcmp_sum:
  add al, [fs:ebx]
  inc ebx
  dec ecx
  jnz .pcmp_sum
  test al, al
  jnz fail

  ; --- the ACPI RSDP: in the EBDA's first KiB or 0xE0000-0xFFFFF, checksum 0 ---
  mov test_no, 13
  mov ax, [0x40E]
  mov cx, 1024 / 16
  call find_rsdp
  jnc .rsdp_found
  mov ax, 0xE000
  mov cx, 0x20000 / 16
  call find_rsdp
  jc fail
.rsdp_found:
  mov si, msg_rsdp
  call puts
  call print_hex32
  mov si, msg_crlf
  call puts

  ; --- VBE: controller info, a 640x480x32 mode from the list, set with the linear framebuffer,
  ; a pixel written through the LFB reads back, the dispi registers say 640x480, mode 3 again ---
  mov test_no, 15
  mov ax, 0x4F00
  mov di, VBE_BUF
  int 0x10
  cmp ax, 0x004F
  jne fail
  cmp dword [VBE_BUF], 'VESA'
  jne fail
  ; Walk the mode list for 640x480 with 32 bits per pixel (the mode numbers are the BIOS's).
  mov test_no, 16
  push ds
  lds si, [VBE_BUF + 14]       ; VideoModePtr
  mov di, vbe_modes_copy
  mov cx, 64
.copy_modes:
  lodsw
  mov [es:di], ax
  add di, 2
  cmp ax, 0xFFFF
  je .copied
  loop .copy_modes
.copied:
  pop ds
  mov si, vbe_modes_copy
.mode:
  mov cx, [si]
  cmp cx, 0xFFFF
  je fail
  add si, 2
  mov [vbe_mode], cx
  mov ax, 0x4F01
  mov di, VBE_BUF + 512
  int 0x10
  cmp ax, 0x004F
  jne .mode
  cmp word [VBE_BUF + 512 + 18], 640
  jne .mode
  cmp word [VBE_BUF + 512 + 20], 480
  jne .mode
  cmp byte [VBE_BUF + 512 + 25], 32
  jne .mode
  test byte [VBE_BUF + 512], 0x80   ; linear framebuffer available
  jz .mode
  mov ebx, [VBE_BUF + 512 + 40]     ; PhysBasePtr
  test ebx, ebx
  jz fail
  mov test_no, 17
  mov ax, 0x4F02
  mov bx, [vbe_mode]
  or bx, 0x4000
  int 0x10
  cmp ax, 0x004F
  jne fail
  mov dx, 0x1CE
  mov ax, 1                    ; dispi XRES
  out dx, ax
  inc dx
  in ax, dx
  cmp ax, 640
  jne fail
  mov ebx, [VBE_BUF + 512 + 40]
  mov dword [fs:ebx + 640 * 4 * 10 + 40], 0x00FF8040
  cmp dword [fs:ebx + 640 * 4 * 10 + 40], 0x00FF8040
  jne fail
  mov ax, 0x4F03
  int 0x10
  and bx, 0x01FF
  cmp bx, [vbe_mode]
  jne fail
  mov ax, 0x0003
  int 0x10
  mov si, msg_vbe
  call puts

  mov si, msg_pass
  call puts
  xor al, al
  out DEBUG_EXIT, al
  cli
  hlt

fail:
  mov si, msg_fail
  call puts
  mov al, [test_no_var]
  add al, '0'
  cmp al, '9'
  jbe .digit
  add al, 'A' - '9' - 1
.digit:
  mov ah, 0x0E
  int 0x10
  mov si, msg_crlf
  call puts
  mov al, [test_no_var]
  out DEBUG_EXIT, al
  cli
  hlt

; FS = a 4 GiB segment with base 0, while the CPU stays in real mode ("unreal mode").
unreal_fs:
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
  jmp 0:.rm
.rm:
  xor bx, bx
  mov fs, bx
  sti
  ret

; AX = first segment, CX = paragraphs to look at (one per 16-byte boundary). CF clear: "_MP_"
; with a valid 16-byte checksum found; EAX = its configuration table address.
find_mp:
  push es
  push si
.look:
  mov es, ax
  cmp dword [es:0], '_MP_'
  jne .next
  mov si, 16
  call sum_es
  jnz .next
  mov eax, [es:4]
  clc
  jmp .out
.next:
  inc ax
  loop .look
  stc
.out:
  pop si
  pop es
  ret

; Same for the ACPI RSDP: "RSD PTR " with a valid 20-byte checksum; EAX = the RSDT address.
find_rsdp:
  push es
  push si
.look:
  mov es, ax
  cmp dword [es:0], 'RSD '
  jne .next
  cmp dword [es:4], 'PTR '
  jne .next
  mov si, 20
  call sum_es
  jnz .next
  mov eax, [es:16]
  clc
  jmp .out
.next:
  inc ax
  loop .look
  stc
.out:
  pop si
  pop es
  ret

; ZF set when the SI bytes at ES:0 sum to 0 (mod 256).
sum_es:
  push ax
  push si
  xor al, al
.add:
  dec si
  add al, [es:si]
  test si, si
  jnz .add
  test al, al
  pop si
  pop ax
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
  mov ah, 0x0E
  push bx
  mov bx, 7
  int 0x10
  pop bx
  loop .digit
  popad
  ret

test_no_var: db 0
; A flat 4 GiB data segment for "unreal mode" (FS keeps the limit after PE is cleared).
gdt:
  dq 0
  dq 0x00CF92000000FFFF
gdt_desc:
  dw 15
  dd gdt
dap:
  db 16, 0
.count:  dw 0
.offset: dw 0
.segment: dw 0
.lba:    dq 0
edd_params: times 32 db 0
mp_config: dd 0
vbe_mode: dw 0
vbe_modes_copy: times 65 dw 0xFFFF
msg_stage2: db "boot_sector: stage 2 loaded by INT 13h AH=02h", 13, 10, 0
msg_mp:     db "boot_sector: MP floating pointer found, config table at 0x", 0
msg_rsdp:   db "boot_sector: ACPI RSDP found, RSDT at 0x", 0
msg_vbe:    db "boot_sector: VBE 640x480x32 set, LFB written, back to text mode", 13, 10, 0
msg_pass:   db "boot_sector: PASS", 13, 10, 0
msg_fail:   db "boot_sector: FAIL ", 0
msg_crlf:   db 13, 10, 0
  times 2048 - ($ - $$) db 0

section pattern start=2560 vstart=0
  db "LBA5"
  times 511 - ($ - $$) db 0xA5
  db 0x5A

section rest start=3072 vstart=0
  times 512 * 58 db 0          ; LBA 6 (scratch) and up: a 64-sector (32 KiB) disk
