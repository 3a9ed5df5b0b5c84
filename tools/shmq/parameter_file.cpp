// Loading file:// and fileb:// values. awscli opens file:// in Python text mode, which decodes
// UTF-8 (failing on anything else) and turns \r\n and lone \r into \n; we do the same so a body
// sent from a file has the same MD5 here as through aws.
#include "parameter_file.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace shmq::cli {
namespace {

constexpr std::string_view text_prefix = "file://";
constexpr std::string_view bytes_prefix = "fileb://";
// A parameter value has no business being larger than a batch request (10 MiB leaves room).
constexpr std::size_t parameter_file_bytes_max = 16u << 20;

// os.path.expanduser for the forms people type: "~" and "~/...".
std::string expand_user(std::string_view path) {
    if (path == "~" || path.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home != nullptr) {
            return std::string(home) + std::string(path.substr(1));
        }
    }
    return std::string(path);
}

bool is_variable_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// os.path.expandvars: $NAME and ${NAME}; unset variables are left as written.
std::string expand_variables(std::string_view path) {
    std::string out;
    std::size_t index = 0;
    while (index < path.size()) {
        if (path[index] != '$') {
            out.push_back(path[index++]);
            continue;
        }
        const bool braced = index + 1 < path.size() && path[index + 1] == '{';
        std::size_t name_begin = index + (braced ? 2 : 1);
        std::size_t name_end = name_begin;
        while (name_end < path.size() && is_variable_character(path[name_end])) {
            ++name_end;
        }
        const bool closed = !braced || (name_end < path.size() && path[name_end] == '}');
        const std::string name(path.substr(name_begin, name_end - name_begin));
        const char* value = name.empty() || !closed ? nullptr : std::getenv(name.c_str());
        const std::size_t consumed_end = braced && closed ? name_end + 1 : name_end;
        if (value != nullptr) {
            out.append(value);
        } else {
            out.append(path.substr(index, consumed_end - index));
        }
        index = consumed_end == index ? index + 1 : consumed_end;
    }
    return out;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t length = 0;
        std::uint32_t code_point = 0;
        if (lead < 0x80) {
            ++index;
            continue;
        }
        if ((lead & 0xE0U) == 0xC0U) {
            length = 2;
            code_point = lead & 0x1FU;
        } else if ((lead & 0xF0U) == 0xE0U) {
            length = 3;
            code_point = lead & 0x0FU;
        } else if ((lead & 0xF8U) == 0xF0U) {
            length = 4;
            code_point = lead & 0x07U;
        } else {
            return false;
        }
        if (index + length > text.size()) {
            return false;
        }
        for (std::size_t offset = 1; offset < length; ++offset) {
            const auto next = static_cast<unsigned char>(text[index + offset]);
            if ((next & 0xC0U) != 0x80U) {
                return false;
            }
            code_point = (code_point << 6U) | (next & 0x3FU);
        }
        const bool overlong = (length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
                              (length == 4 && code_point < 0x10000);
        const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
        if (overlong || surrogate || code_point > 0x10FFFF) {
            return false;
        }
        index += length;
    }
    return true;
}

std::string translate_newlines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t index = 0; index < text.size(); ++index) {
        if (text[index] == '\r') {
            out.push_back('\n');
            if (index + 1 < text.size() && text[index + 1] == '\n') {
                ++index;
            }
        } else {
            out.push_back(text[index]);
        }
    }
    return out;
}

struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

// Reads a whole file; on failure returns the errno.
int read_file(const std::string& path, std::string& contents) {
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return errno;
    }
    char buffer[65536];
    for (;;) {
        const std::size_t count = std::fread(buffer, 1, sizeof buffer, file.get());
        contents.append(buffer, count);
        if (contents.size() > parameter_file_bytes_max) {
            return EFBIG;
        }
        if (count < sizeof buffer) {
            return std::ferror(file.get()) != 0 ? EIO : 0;
        }
    }
}

} // namespace

bool is_parameter_file(std::string_view value) noexcept {
    return value.starts_with(text_prefix) || value.starts_with(bytes_prefix);
}

CliResult<std::string> resolve_parameter_file(std::string_view option_name, std::string_view value) {
    const bool binary = value.starts_with(bytes_prefix);
    if (!binary && !value.starts_with(text_prefix)) {
        return std::string(value);
    }
    const std::string_view written = value.substr(binary ? bytes_prefix.size() : text_prefix.size());
    const std::string path = expand_variables(expand_user(written));
    std::string contents;
    if (const int error = read_file(path, contents); error != 0) {
        std::string why = "Unable to load paramfile ";
        why.append(value);
        why.append(": [Errno ");
        why.append(std::to_string(error));
        why.append("] ");
        why.append(std::strerror(error));
        why.append(": '");
        why.append(path);
        why.append("'");
        return Failure::parameter(option_name, why);
    }
    if (binary) {
        return contents;
    }
    if (!is_valid_utf8(contents)) {
        return Failure::parameter(option_name, "Unable to load paramfile (" + path +
                                                   "), text contents could not be decoded.  If this is a binary file, "
                                                   "please use the fileb:// prefix instead of the file:// prefix.");
    }
    return translate_newlines(contents);
}

} // namespace shmq::cli
