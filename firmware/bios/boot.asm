; Booting: INT 19h reads the first sector of hard disk 80h to 0000:7C00 and jumps to it with
; DL = 80h, as every PC BIOS does; the sector must end in 55h AAh. The CD-ROM (El Torito, no
; emulation) is tried after the disk, or before it with -boot d; a -kernel bzImage comes first. INT 18h is where a PC goes
; when there is nothing to boot: here a message on the screen and COM1, then HLT with
; interrupts off (vmlab then ends the run: nothing can wake the CPU).

int19_boot:
  cli
  xor ax, ax
  mov ss, ax
  mov sp, POST_STACK
  mov ds, ax
  sti
  cld
  call linux_boot               ; returns only when there is no -kernel to start
  ; -boot d: the CD-ROM first, then the disk; otherwise the disk first, then the CD-ROM.
  mov ax, EBDA_SEG
  mov fs, ax
  cmp byte [fs:EBDA_BOOT_DEV], 'd'
  jne .disk_first
  call cdrom_boot              ; returns when the CD cannot be booted
  call disk_boot
  jmp int18_no_boot
.disk_first:
  call disk_boot
  call cdrom_boot
  jmp int18_no_boot

; Boots the MBR of disk 80h; returns (after a message) when that is impossible.
disk_boot:
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  cmp byte [BDA_NUM_HD], 0
  pop ds
  jne .have_disk
  ret                          ; no disk at all
.have_disk:
  mov cx, 3                    ; a few tries, as the floppy-era BIOSes did
.try:
  push cx
  mov ax, 0x0201               ; read one sector
  mov cx, 0x0001               ; cylinder 0, sector 1
  mov dx, 0x0080               ; head 0, drive 80h
  xor bx, bx
  mov es, bx
  mov bx, BOOT_OFF
  int 0x13
  pop cx
  jnc .loaded
  loop .try
  mov si, msg_disk_error
  call print_str
  ret
.loaded:
  cmp word [es:BOOT_OFF + 510], 0xAA55
  je .jump
  mov si, msg_not_bootable
  call print_str
  ret
.jump:
  mov si, msg_booting
  call print_str
  ; The MBR's entry state: CS:IP = 0000:7C00, DL = boot drive, ES = DS = SS = 0.
  xor ax, ax
  mov ds, ax
  mov es, ax
  xor bx, bx
  xor cx, cx
  xor si, si
  xor di, di
  xor bp, bp
  mov dx, 0x0080
  jmp 0x0000:BOOT_OFF

; El Torito "no emulation" boot from the CD-ROM (El Torito specification 1.0, sections 2 and 5):
; sector 17 is the boot record volume descriptor, which points at the boot catalog; its default
; entry says where the boot image is (LBA, in 2048-byte sectors), how many 512-byte sectors to
; load and to which segment (0 = 07C0h). The image runs with DL = E0h, the CD's INT 13h drive.
; Returns (after a message) when there is no CD-ROM or it cannot be booted.
CD_BUF equ SCRATCH_OFF          ; 0000:1000, 2048 bytes
cdrom_boot:
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  cmp word [EBDA_CD_BASE], 0
  pop ds
  jne .have_cd
  ret
.have_cd:
  xor ax, ax
  mov es, ax
  mov di, CD_BUF
  mov eax, 17
  call atapi_read_sector
  jc .read_error
  cmp dword [es:CD_BUF], 0x30444300     ; 00h "CD0"
  jne .no_torito
  mov si, eltorito_id
  mov di, CD_BUF + 1
  mov cx, 29
.cmp_id:
  mov al, [cs:si]
  cmp al, [es:di]
  jne .no_torito
  inc si
  inc di
  loop .cmp_id
  mov eax, [es:CD_BUF + 0x47]  ; the boot catalog
  mov di, CD_BUF
  call atapi_read_sector
  jc .read_error
  cmp byte [es:CD_BUF], 0x01   ; validation entry
  jne .no_torito
  cmp word [es:CD_BUF + 0x1E], 0xAA55
  jne .no_torito
  cmp byte [es:CD_BUF + 0x20], 0x88     ; default entry: bootable
  jne .no_torito
  test byte [es:CD_BUF + 0x21], 0x0F    ; media type 0 = no emulation
  jnz .emulation
  mov bx, [es:CD_BUF + 0x22]   ; load segment
  test bx, bx
  jnz .seg_ok
  mov bx, 0x07C0
.seg_ok:
  movzx ecx, word [es:CD_BUF + 0x26]    ; 512-byte sectors
  add cx, 3
  shr cx, 2                    ; 2048-byte sectors to read
  jnz .count_ok
  inc cx
.count_ok:
  mov eax, [es:CD_BUF + 0x28]  ; image LBA
  push ds
  mov dx, EBDA_SEG
  mov ds, dx
  mov [EBDA_CD_IMAGE], eax
  pop ds
  push bx                      ; the entry segment
.load:
  mov es, bx
  xor di, di
  call atapi_read_sector
  jc .load_error
  add bx, 2048 / 16
  inc eax
  loop .load
  mov si, msg_cdrom_booting
  call print_str
  pop bx
  ; Enter the image at segment:0 with DL = E0h and DS = ES = 0, as BIOSes do.
  push bx
  push word 0
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov dx, 0x00E0
  retf
.load_error:
  pop bx
  jmp .read_error
.emulation:
  mov si, msg_cdrom_emulation
  call print_str
  ret
.no_torito:
  mov si, msg_cdrom_not_bootable
  call print_str
  ret
.read_error:
  mov si, msg_cdrom_read_error
  call print_str
  ret

; Direct Linux boot: vmlab has loaded a bzImage (firmware/linux_loader.cpp) and published
; "etc/vmlab/linux-boot" = {u16 setup segment, u16 stack pointer}. Enter the kernel's real-mode
; setup code at segment+20h:0 with DS = ES = FS = GS = SS = the segment, as the boot protocol
; asks; it calls back into this BIOS for E820, video and the keyboard.
linux_boot:
  mov si, linux_boot_file
  call fw_cfg_find_file
  jc .none
  call fw_cfg_select
  call fw_cfg_read_dword
  mov bx, ax                   ; setup segment
  shr eax, 16                  ; stack pointer
  mov si, msg_linux_boot
  call print_str
  cli
  mov ds, bx
  mov es, bx
  mov fs, bx
  mov gs, bx
  mov ss, bx
  mov sp, ax
  add bx, 0x20
  push bx
  push word 0
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  retf
.none:
  ret

int18_no_boot:
  push cs
  pop ds
  mov si, msg_nothing_to_boot
  call print_str
.halt:
  cli
  hlt
  jmp .halt

msg_disk_error:      db "Disk 80h: cannot read the boot sector", 13, 10, 0
msg_not_bootable:    db "Disk 80h: the boot sector has no 55AA signature", 13, 10, 0
msg_booting:         db "Booting from disk 80h...", 13, 10, 0
linux_boot_file:     db "etc/vmlab/linux-boot", 0
msg_linux_boot:      db "Booting the Linux kernel given with -kernel...", 13, 10, 0
eltorito_id:            db "CD001", 1, "EL TORITO SPECIFICATION"
msg_cdrom_booting:      db "Booting from CD-ROM (El Torito, no emulation)...", 13, 10, 0
msg_cdrom_emulation:    db "CD-ROM: floppy/hard-disk emulation boot images are not supported", 13, 10, 0
msg_cdrom_not_bootable: db "CD-ROM: no El Torito boot catalog with a bootable default entry", 13, 10, 0
msg_cdrom_read_error:   db "CD-ROM: cannot read (no medium?)", 13, 10, 0
msg_nothing_to_boot: db "No bootable device. The vmlab BIOS halts.", 13, 10, 0
