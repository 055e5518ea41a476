// Checkpoint files: a small versioned binary container of named sections (docs/run-format.md,
// "checkpoint.bin"). Each section carries a CRC-32 over its name, size and bytes, and the file
// ends with a trailer that counts the sections, so a corrupt or truncated file is refused.
// Writes are atomic: a temporary file is written, fsync'ed and renamed over the old one, then
// the folder is fsync'ed; a crash never leaves a torn checkpoint.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crossq {

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32); `crc` continues a running checksum
uint32_t crc32(const void* data, size_t bytes, uint32_t crc = 0);

// collects sections, then writes them in one atomic file replacement
class CheckpointWriter {
 public:
  // the bytes are referenced, not copied: they must stay valid until write()
  void add(const std::string& name, const void* data, size_t bytes);
  // the writer keeps its own copy (small metadata, JSON)
  void add_copy(const std::string& name, std::string bytes);
  // writes `path`.tmp, fsync, renames it to `path`, fsyncs the folder; throws crossq::Error
  void write(const std::string& path) const;
  // the file size write() produces
  uint64_t file_bytes() const;
  // the bytes write() would write, in memory (tests and the fuzz target)
  std::string to_bytes() const;

 private:
  template <class Sink>
  void emit(Sink&& sink) const;
  struct Section {
    std::string name;
    const void* data;
    size_t bytes;
    size_t owned = SIZE_MAX;  // index into owned_, or SIZE_MAX
  };
  std::vector<Section> sections_;
  std::vector<std::string> owned_;
};

// a loaded, verified checkpoint: sections by name
class Checkpoint {
 public:
  // reads and verifies a file; throws crossq::Error naming the file and the fault
  static Checkpoint load(const std::string& path);
  // verifies bytes already in memory (`origin` names them in errors); the fuzz target's entry
  static Checkpoint parse(std::string bytes, const std::string& origin);
  // one small section of a checkpoint file, read without loading the rest (the sections before
  // it are skipped by their sizes; its own CRC-32 is checked); false when the file or the
  // section is missing or damaged. For status queries, where the replay can be hundreds of MB.
  static bool peek(const std::string& path, const std::string& name, std::string& out);

  bool has(const std::string& name) const { return index_.count(name) != 0; }
  // a section's bytes; throws when it is missing
  std::string_view get(const std::string& name) const;
  // copies a section into `out`, which must be exactly its size; throws on a mismatch
  void read_into(const std::string& name, void* out, size_t bytes) const;
  const std::vector<std::string>& names() const { return order_; }

 private:
  std::string origin_;
  std::string bytes_;
  std::map<std::string, std::pair<size_t, size_t>> index_;  // offset, size (moves keep them valid)
  std::vector<std::string> order_;
};

}  // namespace crossq
