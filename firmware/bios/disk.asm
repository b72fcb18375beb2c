; INT 13h, fixed-disk services for drives 80h and 81h (the ATA disks ata_detect_drives found),
; on top of the one-sector PIO primitive in ata.asm. Both the old CHS calls (through the
; logical geometry chosen at POST) and the EDD "extensions" (41h-48h: LBA packets) are served.
; There is no floppy drive: calls for drives below 80h fail with status 01h, except reset.
; Status codes (AH, also kept in 40:74 for AH=01h): 00h ok, 01h bad command or drive,
; 04h sector not found, 80h timeout.

int13_disk:
  sti
  SERVICE_ENTER
  cld
  mov ax, BDA_SEG
  mov ds, ax
  mov ax, EBDA_SEG
  mov fs, ax
  mov ax, [F_EAX]
  mov dl, F_DL
  cmp dl, 0xE0
  je .cdrom
  ; FS:BX = the drive record of DL, or CF set when DL names no disk.
  call disk_record
  jc .no_drive
  cmp ah, 0x00
  je .ok                       ; reset: PIO needs no recovery
  cmp ah, 0x01
  je .last_status
  cmp ah, 0x02
  je .read_chs
  cmp ah, 0x03
  je .write_chs
  cmp ah, 0x04
  je .ok                       ; verify: the data is always readable
  cmp ah, 0x08
  je .parameters
  cmp ah, 0x0C
  je .ok                       ; seek
  cmp ah, 0x0D
  je .ok                       ; alternate reset
  cmp ah, 0x10
  je .ok                       ; test unit ready
  cmp ah, 0x11
  je .ok                       ; recalibrate
  cmp ah, 0x14
  je .ok                       ; controller diagnostic
  cmp ah, 0x15
  je .disk_type
  cmp ah, 0x41
  je .ext_check
  cmp ah, 0x42
  je .ext_read
  cmp ah, 0x43
  je .ext_write
  cmp ah, 0x44
  je .ok                       ; extended verify
  cmp ah, 0x47
  je .ok                       ; extended seek
  cmp ah, 0x48
  je .ext_parameters
  cmp ah, 0x4E
  je .ok                       ; set hardware configuration: nothing to configure
  jmp .bad_command             ; formatting, long read/write, removable-media calls

.no_drive:
  cmp ah, 0x00
  je .ok                       ; resetting a floppy controller that isn't there "works"
  cmp ah, 0x15
  jne .bad_command
  mov F_AH, 0                  ; type: no such drive
  RETURN_CF_CLEAR
  jmp .leave
.bad_command:
  mov al, 0x01
  jmp .status
.ok:
  xor al, al
.status:                       ; AL = status: AH, 40:74 and CF follow it
  mov [BDA_DISK_STATUS], al
  mov F_AH, al
  test al, al
  jz .cf_clear
  RETURN_CF_SET
  jmp .leave
.cf_clear:
  RETURN_CF_CLEAR
.leave:
  SERVICE_LEAVE

.last_status:
  mov al, [BDA_DISK_STATUS]
  mov F_AH, al
  test al, al
  jz .cf_clear
  RETURN_CF_SET
  jmp .leave

.read_chs:
  mov dl, ATA_CMD_READ
  jmp .chs
.write_chs:
  mov dl, ATA_CMD_WRITE
.chs:
  ; LBA = (cylinder * heads + head) * sectors per track + sector - 1
  mov cx, [F_ECX]
  movzx eax, ch
  movzx esi, cl
  and si, 0xC0
  shl si, 2
  or ax, si                    ; cylinder (10 bits)
  and cx, 0x3F                 ; sector (1-based)
  jz .not_found
  cmp cx, [fs:bx + DRV_SPT]
  ja .not_found
  movzx esi, byte [F_EDX + 1]  ; head
  cmp si, [fs:bx + DRV_HEADS]
  jae .not_found
  movzx edi, word [fs:bx + DRV_HEADS]
  imul eax, edi
  add eax, esi
  movzx edi, word [fs:bx + DRV_SPT]
  imul eax, edi
  dec cx
  movzx ecx, cx
  add eax, ecx
  movzx cx, byte [F_EAX]       ; count
  mov F_AL, 0                  ; nothing transferred yet
  test cx, cx
  jz .bad_command
  mov es, [F_ES]
  mov di, [F_EBX]
  call disk_transfer
  mov F_AL, cl
  mov al, ah
  jmp .status
.not_found:
  mov F_AL, 0
  mov al, 0x04
  jmp .status

.parameters:
  ; CH = cylinders-1 (low 8 bits), CL = sectors | cylinder bits 9-8 in bits 7-6, DH = heads-1,
  ; DL = number of hard disks.
  mov ax, [fs:bx + DRV_CYLS]
  dec ax
  mov F_CH, al
  shl ah, 6
  mov cl, [fs:bx + DRV_SPT]
  or cl, ah
  mov F_CL, cl
  mov al, [fs:bx + DRV_HEADS]
  dec al
  mov F_DH, al
  mov al, [BDA_NUM_HD]
  mov F_DL, al
  mov F_BL, 0
  mov F_AL, 0
  jmp .ok

.disk_type:
  mov F_AH, 0x03               ; fixed disk; CX:DX = sectors
  mov eax, [fs:bx + DRV_SECTORS]
  mov F_DX, ax
  shr eax, 16
  mov F_CX, ax
  mov byte [BDA_DISK_STATUS], 0
  RETURN_CF_CLEAR
  jmp .leave

.ext_check:
  cmp word [F_EBX], 0x55AA
  jne .bad_command
  mov F_BX, 0xAA55
  mov F_CX, 0x0001             ; extended disk access: 42h-44h, 47h, 48h
  mov F_AH, 0x21               ; EDD 1.1
  mov byte [BDA_DISK_STATUS], 0
  RETURN_CF_CLEAR
  jmp .leave

.ext_read:
  mov dl, ATA_CMD_READ
  jmp .ext
.ext_write:
  mov dl, ATA_CMD_WRITE
.ext:
  ; DS:SI = disk address packet: size, 0, count, offset, segment, 64-bit LBA.
  mov gs, [F_DS]
  mov si, [F_ESI]
  cmp byte [gs:si], 0x10
  jb .bad_command
  cmp dword [gs:si + 4], 0xFFFFFFFF
  je .bad_command              ; 64-bit flat buffer address (EDD 3.0): not supported
  cmp dword [gs:si + 12], 0
  jne .not_found_ext           ; beyond LBA28
  mov eax, [gs:si + 8]
  mov cx, [gs:si + 2]
  mov di, [gs:si + 4]
  mov es, [gs:si + 6]
  mov word [gs:si + 2], 0
  test cx, cx
  jz .ok
  push si
  call disk_transfer
  pop si
  mov [gs:si + 2], cx          ; blocks actually transferred
  mov al, ah
  jmp .status
.not_found_ext:
  mov word [gs:si + 2], 0
  mov al, 0x04
  jmp .status

.ext_parameters:
  ; DS:SI = result buffer; its first word says how big it is (26 bytes at least).
  mov es, [F_DS]
  mov di, [F_ESI]
  mov ax, [es:di]
  cmp ax, 26
  jb .bad_command
  mov cx, 26
  cmp ax, 30
  jb .small
  mov cx, 30
  mov dword [es:di + 26], 0xFFFFFFFF   ; no device parameter table extension
.small:
  mov [es:di], cx
  mov word [es:di + 2], 0x0002         ; the CHS geometry below is valid
  movzx eax, word [fs:bx + DRV_CYLS]
  mov [es:di + 4], eax
  movzx eax, word [fs:bx + DRV_HEADS]
  mov [es:di + 8], eax
  movzx eax, word [fs:bx + DRV_SPT]
  mov [es:di + 12], eax
  mov eax, [fs:bx + DRV_SECTORS]
  mov [es:di + 16], eax
  mov dword [es:di + 20], 0
  mov word [es:di + 24], 512
  jmp .ok

; ---- drive E0h: the CD-ROM, 2048-byte blocks, read-only (El Torito boot images use it) ----
.cdrom:
  cmp word [fs:EBDA_CD_BASE], 0
  je .bad_command
  cmp ah, 0x00
  je .ok
  cmp ah, 0x01
  je .last_status
  cmp ah, 0x41
  je .ext_check
  cmp ah, 0x42
  je .cd_read
  cmp ah, 0x43
  je .cd_write_protected
  cmp ah, 0x44
  je .ok
  cmp ah, 0x47
  je .ok
  cmp ah, 0x48
  je .cd_parameters
  cmp ah, 0x4B
  je .cd_emulation_status
  jmp .bad_command
.cd_write_protected:
  mov al, 0x03
  jmp .status
.cd_read:
  mov gs, [F_DS]
  mov si, [F_ESI]
  cmp byte [gs:si], 0x10
  jb .bad_command
  cmp dword [gs:si + 4], 0xFFFFFFFF
  je .bad_command
  cmp dword [gs:si + 12], 0
  jne .not_found_ext
  mov eax, [gs:si + 8]
  mov cx, [gs:si + 2]
  mov di, [gs:si + 4]
  mov bx, [gs:si + 6]
  mov word [gs:si + 2], 0
  mov dx, di                   ; normalize the buffer: offset below 16
  shr dx, 4
  add bx, dx
  and di, 0x000F
  xor dx, dx                   ; blocks done
.cd_block:
  cmp dx, cx
  jae .cd_done
  mov es, bx
  call atapi_read_sector
  jc .cd_failed
  inc dx
  mov [gs:si + 2], dx
  inc eax
  add bx, 2048 / 16
  jmp .cd_block
.cd_done:
  xor ah, ah
.cd_failed:
  mov al, ah
  jmp .status
.cd_parameters:
  mov es, [F_DS]
  mov di, [F_ESI]
  cmp word [es:di], 26
  jb .bad_command
  mov word [es:di], 26
  mov word [es:di + 2], 0x0074         ; removable, lockable, change line
  mov dword [es:di + 4], 0
  mov dword [es:di + 8], 0
  mov dword [es:di + 12], 0
  mov dword [es:di + 16], 0xFFFFFFFF   ; size unknown here
  mov dword [es:di + 20], 0
  mov word [es:di + 24], 2048
  jmp .ok
.cd_emulation_status:
  ; AX=4B00h/4B01h: DS:SI = the 13h-byte specification packet. There is no emulation to end.
  cmp byte [F_EAX], 1
  ja .bad_command
  mov es, [F_DS]
  mov di, [F_ESI]
  mov byte [es:di], 0x13
  mov byte [es:di + 1], 0x00           ; no emulation
  mov byte [es:di + 2], 0xE0
  mov al, 0
  cmp word [fs:EBDA_CD_BASE], 0x170
  jne .cd_controller
  inc al
.cd_controller:
  mov [es:di + 3], al                  ; controller index
  mov eax, [fs:EBDA_CD_IMAGE]
  mov [es:di + 4], eax
  movzx ax, byte [fs:EBDA_CD_SLAVE]
  mov [es:di + 8], ax                  ; device specification: slave flag
  mov word [es:di + 10], 0
  mov word [es:di + 12], 0x07C0
  mov word [es:di + 14], 4
  mov byte [es:di + 16], 0
  mov word [es:di + 17], 0
  jmp .ok

; DL = BIOS drive number. FS:BX = its record in the EBDA; CF set when there is no such disk.
; Preserves AX.
disk_record:
  cmp dl, 0x80
  jb .none
  push dx
  sub dl, 0x80
  cmp dl, [BDA_NUM_HD]
  jae .none_pop
  movzx bx, dl
  shl bx, 4
  add bx, EBDA_DRIVES
  pop dx
  clc
  ret
.none_pop:
  pop dx
.none:
  stc
  ret

; Moves CX sectors starting at LBA EAX between the disk FS:BX and the buffer ES:DI; DL =
; ATA_CMD_READ or ATA_CMD_WRITE. Returns CX = sectors transferred and AH = status (0 = all).
; The buffer address is normalized (offset below 16) and the segment advanced 512 bytes per
; sector, so a transfer may cross a 64 KiB boundary.
disk_transfer:
  push ebp
  push esi
  push edi
  push es
  push bx
  ; Range check against the disk's size.
  movzx ebp, cx
  mov esi, eax
  add esi, ebp
  jc .range
  cmp esi, [fs:bx + DRV_SECTORS]
  ja .range
  mov si, di
  shr si, 4
  mov bp, es
  add bp, si
  mov es, bp
  and di, 0x000F
  xor bp, bp                   ; sectors done
  push dx
  mov si, cx                   ; sectors to do
  mov cl, dl
  mov bl, [fs:bx + DRV_SLAVE]
.sector:
  call ata_rw_sector
  jc .failed
  inc bp
  inc eax
  mov dx, es
  add dx, 0x20
  mov es, dx
  cmp bp, si
  jb .sector
  xor ah, ah
.failed:
  pop dx
  mov cx, bp
  jmp .out
.range:
  xor cx, cx
  mov ah, 0x04
.out:
  pop bx
  pop es
  pop edi
  pop esi
  pop ebp
  ret
