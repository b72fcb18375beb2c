// ATA register bits and command opcodes (ATA/ATAPI-6, T13/1410D, sections 7 and 8), and the
// SCSI/MMC opcodes the ATAPI CD-ROM answers.
#pragma once
#include <cstdint>

namespace vmlab::devices::ide {

// Status register.
inline constexpr uint8_t kStBsy = 0x80, kStDrdy = 0x40, kStDf = 0x20, kStDsc = 0x10,
                         kStDrq = 0x08, kStCorr = 0x04, kStIdx = 0x02, kStErr = 0x01;
// Error register.
inline constexpr uint8_t kErrIcrc = 0x80, kErrUnc = 0x40, kErrMc = 0x20, kErrIdnf = 0x10,
                         kErrMcr = 0x08, kErrAbrt = 0x04, kErrTk0nf = 0x02, kErrAmnf = 0x01;
// Device control register (write-only, control block).
inline constexpr uint8_t kCtlNien = 0x02, kCtlSrst = 0x04, kCtlHob = 0x80;
// Device/head register.
inline constexpr uint8_t kDevLba = 0x40, kDevSlave = 0x10;
// ATAPI interrupt reason (sector count register): CoD = command, IO = to host.
inline constexpr uint8_t kIrCod = 0x01, kIrIo = 0x02;

// ATA commands.
enum AtaCommand : uint8_t {
  kCmdNop = 0x00,
  kCmdDeviceReset = 0x08,
  kCmdRecalibrate = 0x10,  // 0x10-0x1F
  kCmdReadSectors = 0x20, kCmdReadSectorsNoRetry = 0x21,
  kCmdReadSectorsExt = 0x24, kCmdReadDmaExt = 0x25, kCmdReadMultipleExt = 0x29,
  kCmdWriteSectors = 0x30, kCmdWriteSectorsNoRetry = 0x31,
  kCmdWriteSectorsExt = 0x34, kCmdWriteDmaExt = 0x35, kCmdWriteMultipleExt = 0x39,
  kCmdReadVerify = 0x40, kCmdReadVerifyNoRetry = 0x41, kCmdReadVerifyExt = 0x42,
  kCmdSeek = 0x70,
  kCmdDiagnostic = 0x90,
  kCmdInitParams = 0x91,
  kCmdPacket = 0xA0,
  kCmdIdentifyPacket = 0xA1,
  kCmdReadMultiple = 0xC4, kCmdWriteMultiple = 0xC5, kCmdSetMultiple = 0xC6,
  kCmdReadDma = 0xC8, kCmdReadDmaNoRetry = 0xC9, kCmdWriteDma = 0xCA, kCmdWriteDmaNoRetry = 0xCB,
  kCmdStandbyImmediate = 0xE0, kCmdIdleImmediate = 0xE1, kCmdStandby = 0xE2, kCmdIdle = 0xE3,
  kCmdCheckPowerMode = 0xE5, kCmdSleep = 0xE6,
  kCmdFlushCache = 0xE7, kCmdFlushCacheExt = 0xEA,
  kCmdIdentify = 0xEC,
  kCmdSetFeatures = 0xEF,
};

// The 48-bit (EXT) forms take the address and count from both halves of the register pairs.
inline bool is_lba48_command(uint8_t cmd) {
  switch (cmd) {
    case kCmdReadSectorsExt: case kCmdReadDmaExt: case kCmdReadMultipleExt:
    case kCmdWriteSectorsExt: case kCmdWriteDmaExt: case kCmdWriteMultipleExt:
    case kCmdReadVerifyExt:
      return true;
    default:
      return false;
  }
}

// SCSI / MMC-2 operation codes (ATAPI packets).
enum ScsiCommand : uint8_t {
  kScsiTestUnitReady = 0x00, kScsiRequestSense = 0x03, kScsiInquiry = 0x12,
  kScsiModeSense6 = 0x1A, kScsiStartStopUnit = 0x1B, kScsiPreventAllow = 0x1E,
  kScsiReadCapacity = 0x25, kScsiRead10 = 0x28, kScsiSeek10 = 0x2B, kScsiReadToc = 0x43,
  kScsiModeSense10 = 0x5A, kScsiRead12 = 0xA8,
};
// Sense keys and additional sense codes used.
inline constexpr uint8_t kSenseNone = 0x00, kSenseNotReady = 0x02, kSenseIllegalRequest = 0x05;
inline constexpr uint8_t kAscInvalidOpcode = 0x20, kAscLbaOutOfRange = 0x21,
                         kAscInvalidField = 0x24, kAscNoMedium = 0x3A;

// The Bus Master IDE register block (SFF-8038i / PIIX datasheet 2.7): per channel at +0/+8.
inline constexpr uint8_t kBmCmdStart = 0x01, kBmCmdToMemory = 0x08;  // bit 3: 1 = write memory
inline constexpr uint8_t kBmStActive = 0x01, kBmStError = 0x02, kBmStIntr = 0x04,
                         kBmStDrive0Dma = 0x20, kBmStDrive1Dma = 0x40, kBmStSimplex = 0x80;

}  // namespace vmlab::devices::ide
