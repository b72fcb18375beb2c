; The ATAPI CD-ROM (the IDE engineer's device: -cdrom puts it at the secondary master), read
; with the PACKET command and SCSI READ(10), 2048-byte sectors, PIO, polled. Used by the El
; Torito boot (boot.asm) and INT 13h drive E0h (disk.asm). (ATA/ATAPI-6 section 9.10; MMC-2.)
; The channel's base port is kept in the EBDA, so either channel works.

ATAPI_CMD_PACKET   equ 0xA0
ATAPI_CMD_IDENTIFY equ 0xA1

; Polls the status register at DX+7 until BSY clears. AL = status, CF set on timeout.
atapi_wait:
  push ecx
  push dx
  add dx, 7
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

; DX = channel base (0x1F0 / 0x170), BL = 0 master / 1 slave: selects it and waits 400 ns (four
; status reads).
atapi_select:
  push ax
  push dx
  mov al, 0xA0
  test bl, bl
  jz .sel
  or al, 0x10
.sel:
  add dx, 6
  out dx, al
  inc dx
  in al, dx
  in al, dx
  in al, dx
  in al, dx
  pop dx
  pop ax
  ret

; DX = base, BL = slave flag. CF clear when an ATAPI device answers IDENTIFY PACKET DEVICE.
; (Its 512 bytes of data are read to 0000:SCRATCH_OFF.)
atapi_probe:
  pusha
  push es
  call atapi_select
  push dx
  add dx, 7
  in al, dx
  pop dx
  cmp al, 0xFF
  je .absent                   ; nothing on this channel: the bus floats
  push dx
  add dx, 7
  mov al, ATAPI_CMD_IDENTIFY
  out dx, al
  pop dx
  call atapi_select            ; (only for its 400 ns delay: same device)
  call atapi_wait
  jc .absent
  test al, ATA_ST_ERR
  jnz .absent
  test al, ATA_ST_DRQ
  jz .absent
  xor ax, ax
  mov es, ax
  mov di, SCRATCH_OFF
  mov cx, 256
  rep insw
  pop es
  popa
  clc
  ret
.absent:
  pop es
  popa
  stc
  ret

; POST: finds the first ATAPI device (secondary master, secondary slave, primary slave) and
; records it in the EBDA.
atapi_detect:
  pusha
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  mov word [EBDA_CD_BASE], 0
  mov si, atapi_positions
.next:
  mov dx, [cs:si]
  test dx, dx
  jz .done
  mov bl, [cs:si + 2]
  add si, 3
  call atapi_probe
  jc .next
  mov [EBDA_CD_BASE], dx
  mov [EBDA_CD_SLAVE], bl
  mov si, msg_cdrom_found
  call print_str
.done:
  pop ds
  popa
  ret

atapi_positions:
  dw 0x170
  db 0
  dw 0x170
  db 1
  dw 0x1F0
  db 1
  dw 0

; One 2048-byte sector from the CD-ROM recorded in the EBDA. EAX = LBA, ES:DI = buffer
; (DI <= 0xF800). CF clear on success; else CF set and AH = INT 13h status (80h no answer,
; 04h the drive refused, e.g. no medium or LBA out of range, 01h no CD-ROM).
atapi_read_sector:
  pushad
  push ds
  push es
  mov bp, sp
  mov cx, EBDA_SEG
  mov ds, cx
  mov dx, [EBDA_CD_BASE]
  test dx, dx
  jz .no_drive
  mov bl, [EBDA_CD_SLAVE]
  mov esi, eax
  call atapi_wait
  jc .timeout
  call atapi_select
  push dx
  inc dx
  xor al, al
  out dx, al                   ; features: PIO
  add dx, 3
  out dx, al                   ; byte count limit 2048, low
  inc dx
  mov al, 0x08
  out dx, al                   ; ... high
  add dx, 2
  mov al, ATAPI_CMD_PACKET
  out dx, al
  pop dx
  call atapi_wait
  jc .timeout
  test al, ATA_ST_ERR
  jnz .error
  test al, ATA_ST_DRQ
  jz .error
  ; The packet: READ(10), big-endian LBA, one block.
  mov eax, esi
  bswap eax
  push dx
  mov cx, ax                   ; LBA bytes 3, 2 (as they go out: MSB first)
  shr eax, 16
  mov bx, ax                   ; LBA bytes 1, 0
  mov ax, 0x0028
  out dx, ax                   ; opcode 28h, flags 0
  mov ax, cx
  out dx, ax
  mov ax, bx
  out dx, ax
  xor ax, ax
  out dx, ax                   ; group, transfer length MSB
  mov ax, 0x0001
  out dx, ax                   ; transfer length LSB = 1, control 0
  xor ax, ax
  out dx, ax
  pop dx
  call atapi_wait
  jc .timeout
  test al, ATA_ST_ERR
  jnz .error
  test al, ATA_ST_DRQ
  jz .error
  mov es, [bp]                 ; the caller's ES, DI
  mov di, [bp + 4 + 0]         ; pushad's EDI is right above ES, DS
  mov cx, 1024
  rep insw
  call atapi_wait
  jc .timeout
  test al, ATA_ST_ERR
  jnz .error
  pop es
  pop ds
  popad
  clc
  ret
.no_drive:
  mov al, 0x01
  jmp .fail
.timeout:
  mov al, 0x80
  jmp .fail
.error:
  mov al, 0x04
.fail:
  mov [bp + 4 + 28 + 1], al    ; the caller's AH (pushad frame: EAX at +28)
  pop es
  pop ds
  popad
  stc
  ret

msg_cdrom_found: db "CD-ROM (ATAPI) found: drive E0h", 13, 10, 0
