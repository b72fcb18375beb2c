; The data disk of the course-Makefile guest (boot.asm checks it): 300 sectors, dword i of
; sector n holding (n << 16) | i, so a sector read from the wrong LBA, a short transfer or a
; byte-swapped word all show up.
%assign lba 0
%rep 300
%assign i 0
%rep 128
  dd (lba << 16) | i
%assign i i + 1
%endrep
%assign lba lba + 1
%endrep
