// Replay driver for a fuzz target built without libFuzzer (g++, and the asan preset): every file
// of the corpus folders or files named on the command line goes to LLVMFuzzerTestOneInput, then
// `--mutations N` variants of each, made by a fixed-seed generator (bytes changed, inserted and
// removed, a chunk repeated, the tail cut, two inputs spliced). So ctest runs every parser over
// its seeds and their neighbours under AddressSanitizer+UBSan on every CI run, without clang;
// coverage-guided search is libFuzzer's (scripts/fuzz.sh). A crash, a sanitizer report or a trap
// in the target fails the test.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

// --verbose: name each input (and mutation number) before running it, to find the one that
// crashed; --last-input FILE: write each input to FILE before running it, so after a crash FILE
// holds the input that did it (to replay, or to give libFuzzer).
bool verbose = false;
std::string last_input_path;

void run(const Bytes& input) {
    if (!last_input_path.empty()) {
        std::ofstream out(last_input_path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
}

Bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Inputs stay below this, as libFuzzer's -max_len keeps its own.
constexpr std::size_t mutated_bytes_max = 1u << 20;

Bytes mutate(const Bytes& input, const Bytes& other, std::mt19937_64& random) {
    Bytes out = input;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int edit = 0; edit < edits; ++edit) {
        const std::size_t at = out.empty() ? 0 : random() % out.size();
        switch (random() % 7) {
        case 0: // change a byte
            if (!out.empty()) {
                out[at] = static_cast<std::uint8_t>(random());
            }
            break;
        case 1: // flip a bit
            if (!out.empty()) {
                out[at] ^= static_cast<std::uint8_t>(1u << (random() % 8));
            }
            break;
        case 2: // insert bytes, often a structural character
            out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), 1 + random() % 8,
                       static_cast<std::uint8_t>("{}[]=,.&%\"\\:\0\xff"[random() % 15]));
            break;
        case 3: // remove a run
            if (!out.empty()) {
                const std::size_t count = std::min<std::size_t>(1 + random() % 16, out.size() - at);
                out.erase(out.begin() + static_cast<std::ptrdiff_t>(at),
                          out.begin() + static_cast<std::ptrdiff_t>(at + count));
            }
            break;
        case 4: { // repeat a chunk many times (depth, counts, lengths)
            if (!out.empty()) {
                const std::size_t count = std::min<std::size_t>(1 + random() % 8, out.size() - at);
                const Bytes chunk(out.begin() + static_cast<std::ptrdiff_t>(at),
                                  out.begin() + static_cast<std::ptrdiff_t>(at + count));
                const std::size_t repeats = 1 + random() % 2000;
                for (std::size_t r = 0; r < repeats && out.size() + chunk.size() <= mutated_bytes_max; ++r) {
                    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
                }
            }
            break;
        }
        case 5: // cut the tail
            out.resize(at);
            break;
        default: // splice another input's tail in
            if (!other.empty()) {
                const std::size_t from = random() % other.size();
                out.resize(at);
                out.insert(out.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
            }
            break;
        }
    }
    if (out.size() > mutated_bytes_max) {
        out.resize(mutated_bytes_max);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t mutations = 0;
    std::vector<std::filesystem::path> paths;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--mutations" && i + 1 < argc) {
            mutations = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--verbose") {
            verbose = true;
        } else if (arg == "--last-input" && i + 1 < argc) {
            last_input_path = argv[++i];
        } else if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::directory_iterator(arg)) {
                if (entry.is_regular_file()) {
                    paths.push_back(entry.path());
                }
            }
        } else {
            paths.emplace_back(arg);
        }
    }
    std::sort(paths.begin(), paths.end()); // the same order, so the same mutations, every run
    std::vector<Bytes> inputs;
    for (const auto& path : paths) {
        inputs.push_back(read_file(path));
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "fuzz replay: no corpus inputs given\n");
        return 2;
    }
    std::mt19937_64 random(20261207);
    std::size_t runs = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (verbose) {
            std::fprintf(stderr, "fuzz replay: %s\n", paths[i].c_str());
        }
        run(inputs[i]);
        ++runs;
        for (std::size_t m = 0; m < mutations; ++m) {
            const Bytes mutated = mutate(inputs[i], inputs[random() % inputs.size()], random);
            if (verbose) {
                std::fprintf(stderr, "fuzz replay: %s mutation %zu (%zu bytes)\n", paths[i].c_str(), m,
                             mutated.size());
            }
            run(mutated);
            ++runs;
        }
    }
    std::printf("fuzz replay: %zu inputs, %zu runs, no finding\n", inputs.size(), runs);
    return 0;
}
