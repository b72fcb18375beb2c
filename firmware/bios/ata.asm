; ATA PIO on the primary IDE channel (0x1F0-0x1F7, control 0x3F6), polled: INT 13h never waits
; for IRQ 14 (it stays masked). Only LBA28 READ/WRITE SECTORS (20h/30h), one sector per command:
; slow on real hardware, simple to follow, and every disk up to 128 GiB is reachable.
; (ATA/ATAPI-6: status BSY/DRQ/ERR protocol, section 9.)

ATA_DATA     equ 0x1F0
ATA_COUNT    equ 0x1F2
ATA_LBA_LOW  equ 0x1F3
ATA_DEVICE   equ 0x1F6
ATA_STATUS   equ 0x1F7            ; read: status; write: command
ATA_ALT      equ 0x3F6
ATA_ST_BSY   equ 0x80
ATA_ST_DF    equ 0x20
ATA_ST_DRQ   equ 0x08
ATA_ST_ERR   equ 0x01
ATA_CMD_READ     equ 0x20
ATA_CMD_WRITE    equ 0x30
ATA_CMD_IDENTIFY equ 0xEC

; The 400 ns a drive may take to show its new status after a device select or a command:
; four alternate-status reads.
ata_delay400:
  push ax
  push dx
  mov dx, ATA_ALT
  in al, dx
  in al, dx
  in al, dx
  in al, dx
  pop dx
  pop ax
  ret

; Polls until BSY clears. AL = status; CF set after about a million polls (no drive answers).
ata_wait_not_busy:
  push ecx
  push dx
  mov dx, ATA_STATUS
  mov ecx, 0x100000
.poll:
  in al, dx
  test al, ATA_ST_BSY
  jz .ready
  dec ecx
  jnz .poll
  stc
  jmp .out
.ready:
  clc
.out:
  pop dx
  pop ecx
  ret

; BL = 0 master, 1 slave; ES:DI = 512-byte buffer. CF clear: an ATA disk answered IDENTIFY DEVICE
; and its data is in the buffer. A missing drive reads 0xFF (floating bus) or 0; an ATAPI device
; aborts the command (it wants IDENTIFY PACKET DEVICE), so it is not a hard disk either.
ata_identify:
  pusha
  mov al, 0xA0
  test bl, bl
  jz .sel
  or al, 0x10
.sel:
  mov dx, ATA_DEVICE
  out dx, al
  call ata_delay400
  mov dx, ATA_STATUS
  in al, dx
  cmp al, 0xFF
  je .absent
  test al, al
  jz .absent
  mov al, ATA_CMD_IDENTIFY
  out dx, al
  call ata_delay400
  in al, dx
  test al, al
  jz .absent
  call ata_wait_not_busy
  jc .absent
  test al, ATA_ST_ERR
  jnz .absent
  test al, ATA_ST_DRQ
  jz .absent
  mov dx, ATA_DATA
  mov cx, 256
  rep insw
  popa
  clc
  ret
.absent:
  popa
  stc
  ret

; One sector. EAX = LBA (below 2^28), BL = 0 master / 1 slave, CL = ATA_CMD_READ or
; ATA_CMD_WRITE, ES:DI = buffer (DI <= 0xFE00). CF clear on success; on failure CF set and AH =
; the INT 13h status: 80h the drive never got ready, 04h it refused the command (ERR: sector not
; found, aborted).
ata_rw_sector:
  pushad
  push ds
  mov ebp, eax
  mov bh, cl
  call ata_wait_not_busy
  jc .timeout
  mov eax, ebp
  shr eax, 24
  and al, 0x0F
  or al, 0xE0                  ; LBA mode
  test bl, bl
  jz .master
  or al, 0x10
.master:
  mov dx, ATA_DEVICE
  out dx, al
  call ata_delay400
  mov dx, ATA_COUNT
  mov al, 1
  out dx, al
  mov eax, ebp
  inc dx                       ; LBA 7:0
  out dx, al
  shr eax, 8
  inc dx                       ; LBA 15:8
  out dx, al
  shr eax, 8
  inc dx                       ; LBA 23:16
  out dx, al
  mov dx, ATA_STATUS
  mov al, bh
  out dx, al
  call ata_delay400
  call ata_wait_not_busy
  jc .timeout
  test al, ATA_ST_ERR | ATA_ST_DF
  jnz .error
  test al, ATA_ST_DRQ
  jz .error
  mov dx, ATA_DATA
  mov cx, 256
  cmp bh, ATA_CMD_WRITE
  je .write
  rep insw
  jmp .ok
.write:
  push es
  pop ds
  mov si, di
  rep outsw
  call ata_wait_not_busy       ; the drive writes the sector, then drops BSY
  jc .timeout
  test al, ATA_ST_ERR | ATA_ST_DF
  jnz .error
.ok:
  pop ds
  popad
  clc
  ret
.timeout:
  pop ds
  popad
  mov ah, 0x80
  stc
  ret
.error:
  pop ds
  popad
  mov ah, 0x04
  stc
  ret

; POST: IDENTIFY the master and the slave; each ATA disk found becomes the next BIOS drive
; (80h, 81h) with a logical CHS geometry for the old CHS calls: 16 heads x 63 sectors while the
; disk fits in 1024 cylinders of those (504 MiB), 255 x 63 beyond (the "LBA-assisted"
; translation). Prints one line per disk.
ata_detect_drives:
  pushad
  push ds
  push es
  push fs
  xor ax, ax
  mov es, ax
  mov ax, EBDA_SEG
  mov fs, ax
  mov ax, BDA_SEG
  mov ds, ax
  mov byte [BDA_NUM_HD], 0
  xor bl, bl                   ; master first
.next:
  mov di, SCRATCH_OFF
  call ata_identify
  jc .skip
  movzx si, byte [BDA_NUM_HD]
  shl si, 4
  add si, EBDA_DRIVES
  mov byte [fs:si + DRV_PRESENT], 1
  mov [fs:si + DRV_SLAVE], bl
  ; Capacity: words 60-61 when the drive does LBA (word 49 bit 9), else the default CHS
  ; geometry of words 1, 3, 6.
  test word [es:SCRATCH_OFF + 49 * 2], 0x0200
  jz .chs_only
  mov eax, [es:SCRATCH_OFF + 60 * 2]
  jmp .have_size
.chs_only:
  movzx eax, word [es:SCRATCH_OFF + 1 * 2]
  movzx ecx, word [es:SCRATCH_OFF + 3 * 2]
  mul ecx
  movzx ecx, word [es:SCRATCH_OFF + 6 * 2]
  mul ecx
.have_size:
  mov [fs:si + DRV_SECTORS], eax
  mov word [fs:si + DRV_SPT], 63
  mov ecx, 16 * 63
  mov word [fs:si + DRV_HEADS], 16
  cmp eax, 1024 * 16 * 63
  jbe .geometry
  mov ecx, 255 * 63
  mov word [fs:si + DRV_HEADS], 255
.geometry:
  xor edx, edx
  div ecx
  cmp eax, 1024
  jbe .cyls_ok
  mov eax, 1024
.cyls_ok:
  test eax, eax
  jnz .cyls_nonzero
  inc eax                      ; a disk smaller than one cylinder still has cylinder 0
.cyls_nonzero:
  mov [fs:si + DRV_CYLS], ax
  ; "hd 80h: ATA disk, N sectors"
  push si
  mov si, msg_hd_prefix
  call print_str
  mov al, [BDA_NUM_HD]
  add al, '0'
  call tty_putc
  mov si, msg_hd_middle
  call print_str
  pop si
  mov eax, [fs:si + DRV_SECTORS]
  call print_dec32
  mov si, msg_hd_suffix
  call print_str
  inc byte [BDA_NUM_HD]
.skip:
  inc bl
  cmp bl, 2
  jb .next
  cmp byte [BDA_NUM_HD], 0
  jne .done
  mov si, msg_no_disks
  call print_str
.done:
  pop fs
  pop es
  pop ds
  popad
  ret

msg_hd_prefix: db "Disk 8", 0
msg_hd_middle: db "h: ATA, ", 0
msg_hd_suffix: db " sectors", 13, 10, 0
msg_no_disks:  db "No ATA disk on the primary IDE channel", 13, 10, 0
