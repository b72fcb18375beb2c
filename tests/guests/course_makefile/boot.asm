; The boot disk of the course-Makefile guest (issue 6, acceptance 6): a boot sector that loads
; the kernel from its own disk by IDE PIO, the way a course's first boot loader does it - no
; INT 13h, just the primary channel's task-file ports 0x1F0-0x1F7 and LBA28 READ SECTORS.
;   LBA 0        the boot sector (loaded by the BIOS at 0x7C00)
;   LBA 1..8     the kernel: loaded at 0x8000, switches to 32-bit protected mode, reads the data
;                disk (primary slave, data.asm) by IDE PIO and checks every dword of it
;   rest         padding to 32 KiB
; Both halves talk to COM1 directly (no BIOS services after the BIOS jumps to 0x7C00), print
; "course_makefile: PASS" and write 0 to the isa-debug-exit port 0xF4 (exit status 1); a
; failure prints "FAIL: <what>" and writes 1..n (exit status 3 and up).
bits 16
cpu 686

KERNEL      equ 0x8000
KERNEL_SECS equ 8
COM1        equ 0x3F8
DEBUG_EXIT  equ 0xF4
; The primary IDE channel's task file.
ATA_DATA    equ 0x1F0
ATA_ERROR   equ 0x1F1
ATA_COUNT   equ 0x1F2
ATA_LBA0    equ 0x1F3
ATA_LBA1    equ 0x1F4
ATA_LBA2    equ 0x1F5
ATA_DEVICE  equ 0x1F6   ; 1 LBA 1 DEV LBA27-24
ATA_STATUS  equ 0x1F7   ; read: status; write: command
ATA_CONTROL equ 0x3F6   ; write: device control (bit 1 nIEN); read: alternate status
ST_BSY equ 0x80
ST_DF  equ 0x20
ST_DRQ equ 0x08
ST_ERR equ 0x01
CMD_READ_SECTORS equ 0x20
DATA_SECS   equ 300     ; the data disk's size (data.asm)
; Status polls before a drive counts as dead. QEMU completes PIO reads asynchronously (its
; block layer runs in another thread), so on a loaded host BSY can stay set for a long time;
; the bound only has to end the run eventually, well before the test's time-out.
POLL_LIMIT  equ 100000000

section mbr start=0 vstart=0x7C00
mbr:
  cli                   ; polled I/O throughout: no interrupt is wanted
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  cld
  call serial_init
  mov si, msg_boot
  call puts16
  ; The kernel: KERNEL_SECS sectors from LBA 1 of the master (this disk) to 0x8000.
  mov dx, ATA_CONTROL
  mov al, 0x02          ; nIEN: the drive raises no IRQ 14 (nobody would acknowledge it)
  out dx, al
  mov ebx, 1
  mov cl, KERNEL_SECS
  mov di, KERNEL
  mov al, 0xE0          ; LBA mode, master
  call ata_read16
  jc .fail
  cmp dword [KERNEL], 'KRNL'
  jne .fail
  jmp 0:KERNEL + 4
.fail:
  mov si, msg_boot_fail
  call puts16
  mov al, 1
  out DEBUG_EXIT, al
.halt:
  hlt
  jmp .halt

; AL = device register (0xE0 master / 0xF0 slave), EBX = LBA, CL = count (1-255), ES:DI = buffer.
; CF set on an error or a time-out (a drive that never answers must not hang the test).
ata_read16:
  movzx bp, al          ; the device register value, kept while EAX computes the LBA bits
  call ata_wait_idle
  jc .out
  mov eax, ebx
  shr eax, 24
  and al, 0x0F
  or ax, bp
  mov dx, ATA_DEVICE
  out dx, al
  call ata_wait_idle    ; the newly selected drive must be ready too
  jc .out
  mov dx, ATA_COUNT
  mov al, cl
  out dx, al
  mov eax, ebx
  inc dx                ; 0x1F3 LBA 7-0
  out dx, al
  shr eax, 8
  inc dx                ; 0x1F4 LBA 15-8
  out dx, al
  shr eax, 8
  inc dx                ; 0x1F5 LBA 23-16
  out dx, al
  mov dx, ATA_STATUS
  mov al, CMD_READ_SECTORS
  out dx, al
  movzx si, cl
.sector:
  call ata_wait_drq
  jc .out
  mov cx, 256
  mov dx, ATA_DATA
  rep insw
  dec si
  jnz .sector
  clc
.out:
  ret

; Waits for BSY = 0 (bounded); CF on time-out. Preserves CX.
ata_wait_idle:
  push ecx
  mov ecx, POLL_LIMIT
  mov dx, ATA_STATUS
.poll:
  in al, dx
  test al, ST_BSY
  jz .ok
  dec ecx
  jnz .poll
  pop ecx
  stc
  ret
.ok:
  pop ecx
  clc
  ret

; Waits for BSY = 0 and DRQ = 1; CF on ERR/DF or a time-out. Preserves CX.
ata_wait_drq:
  push cx
  mov ecx, POLL_LIMIT
  mov dx, ATA_STATUS
.poll:
  in al, dx
  test al, ST_BSY
  jnz .next
  test al, ST_ERR | ST_DF
  jnz .bad
  test al, ST_DRQ
  jnz .ok
.next:
  dec ecx
  jnz .poll
.bad:
  pop cx
  stc
  ret
.ok:
  pop cx
  clc
  ret

; COM1: 115200 8N1, FIFOs on. The BIOS may have done this already; doing it again is harmless.
serial_init:
  mov dx, COM1 + 3
  mov al, 0x80          ; DLAB
  out dx, al
  mov dx, COM1
  mov al, 1             ; divisor 1 = 115200 baud
  out dx, al
  inc dx
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 0x03          ; 8N1, DLAB off
  out dx, al
  mov dx, COM1 + 2
  mov al, 0x07
  out dx, al
  ret

; SI = NUL-terminated string to COM1.
puts16:
  lodsb
  test al, al
  jz .done
  mov ah, al
  mov dx, COM1 + 5
.wait:
  in al, dx
  test al, 0x20         ; THR empty
  jz .wait
  mov al, ah
  mov dx, COM1
  out dx, al
  jmp puts16
.done:
  ret

msg_boot:      db "boot: loading the kernel by IDE PIO (LBA28 READ SECTORS)", 13, 10, 0
msg_boot_fail: db "FAIL: boot sector could not load the kernel", 13, 10, 0

  times 510 - ($ - $$) db 0
  dw 0xAA55

; ---------------------------------------------------------------------------------------------
section kernel start=512 vstart=KERNEL
  dd 'KRNL'
kernel16:
  mov si, msg_kernel
  call puts16
  lgdt [gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:kernel32

bits 32
kernel32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x7000
  mov esi, msg_pm
  call puts32

  ; 1. The whole data disk in one command per 100 sectors (LBAs 0-299: the LBA 15-8 byte is
  ;    exercised too), to 0x20000.
  xor ebx, ebx
.chunk:
  mov edi, ebx
  shl edi, 9
  add edi, DATA_BUF
  mov ecx, 100
  mov al, 0xF0          ; LBA mode, slave
  call ata_read32
  jc fail_read_data
  add ebx, 100
  cmp ebx, DATA_SECS
  jb .chunk
  ; Every dword: (LBA << 16) | index in sector, as data.asm wrote it.
  mov esi, DATA_BUF
  xor ebx, ebx          ; LBA
.check_sector:
  xor ecx, ecx          ; dword index
.check_dword:
  mov eax, ebx
  shl eax, 16
  or eax, ecx
  cmp [esi], eax
  jne fail_data
  add esi, 4
  inc ecx
  cmp ecx, 128
  jb .check_dword
  inc ebx
  cmp ebx, DATA_SECS
  jb .check_sector
  mov esi, msg_data_ok
  call puts32

  ; 2. One sector from the middle of the data disk on its own (LBA 257 = 0x101), then the boot
  ;    disk's own LBA 0 again: switching between slave and master works both ways.
  mov ebx, 257
  mov ecx, 1
  mov edi, SECTOR_BUF
  mov al, 0xF0
  call ata_read32
  jc fail_read_data
  cmp dword [SECTOR_BUF], 257 << 16
  jne fail_data
  cmp dword [SECTOR_BUF + 508], (257 << 16) | 127
  jne fail_data
  xor ebx, ebx
  mov ecx, 1
  mov edi, SECTOR_BUF
  mov al, 0xE0
  call ata_read32
  jc fail_read_boot
  cmp word [SECTOR_BUF + 510], 0xAA55
  jne fail_read_boot
  mov esi, SECTOR_BUF
  mov edi, 0x7C00
  mov ecx, 128
  repe cmpsd
  jne fail_read_boot
  mov esi, msg_reread_ok
  call puts32

  ; 3. A read past the end of the data disk must fail with ERR (IDNF), not hang or return data.
  mov ebx, DATA_SECS + 10
  mov ecx, 1
  mov edi, SECTOR_BUF
  mov al, 0xF0
  call ata_read32
  jnc fail_past_end
  mov esi, msg_past_end_ok
  call puts32

  mov esi, msg_pass
  call puts32
  xor al, al
  out DEBUG_EXIT, al
  jmp halt32

fail_read_data:
  mov esi, msg_fail_read_data
  mov bl, 2
  jmp fail
fail_data:
  mov esi, msg_fail_data
  mov bl, 3
  jmp fail
fail_read_boot:
  mov esi, msg_fail_read_boot
  mov bl, 4
  jmp fail
fail_past_end:
  mov esi, msg_fail_past_end
  mov bl, 5
fail:
  call puts32
  mov al, bl
  out DEBUG_EXIT, al
halt32:
  hlt
  jmp halt32

; AL = device register (0xE0 master / 0xF0 slave), EBX = LBA, ECX = count (1-255),
; EDI = buffer. CF on an error or a time-out. The same protocol as the boot sector's ata_read16.
ata_read32:
  push ebx
  push ecx
  push edx
  push esi
  push ebp
  mov esi, ecx          ; sectors left
  movzx ebp, al         ; the device register value
  call ata_wait_idle32
  jc .out
  mov eax, ebx
  shr eax, 24
  and eax, 0x0F
  or eax, ebp
  mov dx, ATA_DEVICE
  out dx, al
  call ata_wait_idle32
  jc .out
  mov dx, ATA_COUNT
  mov eax, esi
  out dx, al
  mov eax, ebx
  inc dx                ; 0x1F3 LBA 7-0
  out dx, al
  shr eax, 8
  inc dx                ; 0x1F4 LBA 15-8
  out dx, al
  shr eax, 8
  inc dx                ; 0x1F5 LBA 23-16
  out dx, al
  mov dx, ATA_STATUS
  mov al, CMD_READ_SECTORS
  out dx, al
.sector:
  call ata_wait_drq32
  jc .out
  mov ecx, 256
  mov dx, ATA_DATA
  rep insw
  dec esi
  jnz .sector
  clc
.out:
  pop ebp
  pop esi
  pop edx
  pop ecx
  pop ebx
  ret

; BSY = 0 within a bounded number of polls; CF on time-out. Clobbers ECX, DX, AL.
ata_wait_idle32:
  push eax
  mov ecx, POLL_LIMIT
  mov dx, ATA_STATUS
.poll:
  in al, dx
  test al, ST_BSY
  jz .ok
  dec ecx
  jnz .poll
  pop eax
  stc
  ret
.ok:
  pop eax
  clc
  ret

; BSY = 0 and DRQ = 1; CF on ERR/DF or a time-out. Clobbers ECX, DX, AL.
ata_wait_drq32:
  mov ecx, POLL_LIMIT
  mov dx, ATA_STATUS
.poll:
  in al, dx
  test al, ST_BSY
  jnz .next
  test al, ST_ERR | ST_DF
  jnz .bad
  test al, ST_DRQ
  jnz .ok
.next:
  dec ecx
  jnz .poll
.bad:
  stc
  ret
.ok:
  clc
  ret

; ESI = NUL-terminated string to COM1.
puts32:
  push eax
  push edx
.next:
  lodsb
  test al, al
  jz .done
  mov ah, al
  mov dx, COM1 + 5
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  mov al, ah
  mov dx, COM1
  out dx, al
  jmp .next
.done:
  pop edx
  pop eax
  ret

msg_kernel:         db "kernel: loaded at 0x8000, entering protected mode", 13, 10, 0
msg_pm:             db "kernel: 32-bit; reading the data disk (primary slave) by IDE PIO", 13, 10, 0
msg_data_ok:        db "kernel: data disk: 300 sectors read in 3 commands, every dword checked", 13, 10, 0
msg_reread_ok:      db "kernel: slave LBA 257 and master LBA 0 read back correctly", 13, 10, 0
msg_past_end_ok:    db "kernel: a read past the end of the data disk fails with ERR", 13, 10, 0
msg_pass:           db "course_makefile: PASS", 13, 10, 0
msg_fail_read_data: db "FAIL: reading the data disk", 13, 10, 0
msg_fail_data:      db "FAIL: the data disk's contents are wrong", 13, 10, 0
msg_fail_read_boot: db "FAIL: re-reading the boot disk's LBA 0", 13, 10, 0
msg_fail_past_end:  db "FAIL: a read past the end of the data disk succeeded", 13, 10, 0

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF   ; 0x08: flat 32-bit code
  dq 0x00CF92000000FFFF   ; 0x10: flat data
gdt_desc:
  dw gdt_desc - gdt - 1
  dd gdt

DATA_BUF   equ 0x20000
SECTOR_BUF equ 0x9000   ; just above the kernel
%if $ - $$ > KERNEL_SECS * 512
%error the kernel outgrew KERNEL_SECS
%endif
  times KERNEL_SECS * 512 - ($ - $$) db 0

; Padding: a 32 KiB disk.
section pad start=4608 ; (KERNEL_SECS + 1) * 512
  times 32768 - (KERNEL_SECS + 1) * 512 db 0
