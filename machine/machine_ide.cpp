// Machine: the IDE part of the wiring - the -hda/-cdrom/-drive images, the two channels of the
// PIIX3 IDE function in legacy mode (primary 0x1F0/0x3F6 IRQ 14, secondary 0x170/0x376 IRQ 15;
// wire_devices() puts their ports in its table) and the bus-master engine behind BAR4.
#include <fmt/format.h>

#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

void Machine::wire_ide() {
  namespace ide = devices::ide;
  ide_[0] = std::make_unique<ide::IdeChannel>(&isa_irq_[14]);
  ide_[1] = std::make_unique<ide::IdeChannel>(&isa_irq_[15]);
  bool used[4] = {};
  for (const DriveConfig& d : cfg_.drives) {
    if (d.index > 3)
      throw SetupError(fmt::format("-drive index={}: IDE has indexes 0-3 (primary master, primary "
                                   "slave, secondary master, secondary slave)", d.index));
    if (used[d.index])
      throw SetupError(fmt::format("-drive index={}: two drives given for the same place", d.index));
    used[d.index] = true;
    ide::BackendOptions opt;
    opt.read_only = d.read_only || d.cdrom;
    opt.snapshot = d.snapshot;
    opt.granularity = d.cdrom ? ide::IdeChannel::kCdBlock : ide::kSectorSize;
    ide::BlockBackend* image = nullptr;
    if (!d.file.empty()) {  // a CD-ROM drive may be empty
      try {
        drive_images_.push_back(ide::BlockBackend::open(d.file, opt));
      } catch (const ide::BackendError& e) {
        throw SetupError(e.what());
      }
      image = drive_images_.back().get();
      const std::string n = fmt::format("ide.drive{}", d.index);
      stats_.counter(n + ".sectors_read", &image->sectors_read);
      stats_.counter(n + ".sectors_written", &image->sectors_written);
      stats_.counter(n + ".flushes", &image->flushes);
      stats_.counter(n + ".io_errors", &image->io_errors);
    }
    // Serial numbers say where the drive sits, like QEMU's "QM00001".
    ide_[d.index / 2]->attach(d.index % 2, d.cdrom ? ide::DriveKind::Cdrom : ide::DriveKind::Disk,
                              image, fmt::format("VM{:05}", d.index + 1));
  }
  ide_bm_ = std::make_unique<ide::BusMasterDma>(mem_, ide_[0].get(), ide_[1].get());
  ide_bm_->set_master_enable([this] { return piix3_ide_->bus_master_enabled(); });
  piix3_ide_->on_bus_master_enable([this] { ide_bm_->master_enabled(); });
  piix3_ide_->attach_bus_master(io_, *ide_bm_);  // BAR4 -> the engine, wherever the guest puts it
  stats_.counter_fn("ide.bad_prds", [this] { return ide_bm_->bad_prds(); });
}

}  // namespace vmlab::machine
