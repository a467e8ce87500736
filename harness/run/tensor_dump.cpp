#include "run/tensor_dump.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "results/results.hpp"

namespace bb {

TensorDump::TensorDump(std::string dir, int rank, const BridgeShape& shape)
    : dir_(std::move(dir)), rank_(rank), shape_(shape) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);  // every rank of the config races here: harmless
  if (!std::filesystem::is_directory(dir_)) throw Error("io_error", "cannot create " + dir_ + ": " + ec.message());
}

void TensorDump::add(const std::string& name, const TensorRef& t) {
  const std::string file = "rank" + std::to_string(rank_) + "." + name + ".bin";
  const std::string path = dir_ + "/" + file, tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(static_cast<const char*>(t.ptr), std::streamsize(t.bytes()));
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error("io_error", "cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("io_error", "cannot rename " + tmp + " to " + path);
  }
  const bool bsh = t.mem == MemOrder::bsh;
  tensors_[name] = {{"file", file}, {"shape", bsh ? std::vector<int64_t>{t.b, t.s, t.h} : std::vector<int64_t>{t.s, t.b, t.h}}};
}

void TensorDump::finish() {
  nlohmann::ordered_json j{{"rank", rank_},
                           {"mem", mem_order_name(shape_.mem)},
                           {"dtype", dtype_name(shape_.dtype)},
                           {"tensors", tensors_}};
  write_json_atomic(dir_ + "/rank" + std::to_string(rank_) + ".json", j);
}

}  // namespace bb
